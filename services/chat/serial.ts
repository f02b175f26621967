import { LockBusyError, type PresenceLocks } from "../../infra/locks";
import { conflict } from "../errors";

/** Turns of one room waiting on this process beyond which another is refused. */
const MAX_WAITING_PER_ROOM = 32;

export const turnBusy = () => conflict("turn_in_progress", "Other turns of this chat are still being played; try again shortly.");

/**
 * One turn of a room at a time, in arrival order on this process (a queue per room) and
 * across processes (a lease in presence, held for the whole turn). The database makes a
 * duplicate turn impossible anyway; this makes each turn see the one before it whole,
 * reply included, and spares the refused duplicates.
 */
export class TurnSerializer {
  private readonly queues = new Map<string, { tail: Promise<void>; size: number }>();

  constructor(
    private readonly locks: PresenceLocks,
    private readonly options: { leaseSeconds: number; waitMs: number },
  ) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.waitMs;
    const queue = this.queues.get(key) ?? { tail: Promise.resolve(), size: 0 };
    if (queue.size >= MAX_WAITING_PER_ROOM) throw turnBusy();
    const before = queue.tail;
    let done!: () => void;
    queue.tail = new Promise<void>((resolve) => (done = resolve));
    queue.size++;
    this.queues.set(key, queue);
    try {
      await before;
      const waitMs = deadline - Date.now();
      if (waitMs <= 0) throw turnBusy();
      return await this.locks.run(`chat:${key}`, { ttlSeconds: this.options.leaseSeconds, waitMs }, work);
    } catch (err) {
      throw err instanceof LockBusyError ? turnBusy() : err;
    } finally {
      done();
      if (--queue.size === 0) this.queues.delete(key);
    }
  }
}
