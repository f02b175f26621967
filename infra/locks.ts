import type { Presence } from "@colyseus/core";

export type Release = () => Promise<void>;

export class LockBusyError extends Error {
  constructor(readonly lock: string) {
    super(`lock ${lock} is held by someone else`);
    this.name = "LockBusyError";
  }
}

const FIELD = "holders";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Short leases in presence, so that they hold across processes with Redis. A lease is a
 * counter that only its first incrementer owns; it expires on its own after `ttl`
 * seconds, so a crashed holder never blocks a key for good. Presence has no SET NX, and
 * `hincrbyex` (HINCRBY + EXPIRE in one MULTI) is its one atomic increment-with-expiry.
 *
 * Leases are for serialising work that is also safe in the database (a unique
 * constraint, a conditional update); they make duplicates rare and cheap to refuse,
 * the database makes them impossible.
 */
export class PresenceLocks {
  constructor(private readonly presence: Presence) {}

  /** The lease on `name` for `ttlSeconds`, or undefined when someone else holds it. */
  async tryAcquire(name: string, ttlSeconds: number): Promise<Release | undefined> {
    const key = `lock:${name}`;
    let holders: number;
    try {
      holders = await this.presence.hincrbyex(key, FIELD, 1, ttlSeconds);
    } catch (err) {
      // The increment may have been applied with its answer lost (a command timed out
      // under load): the lease would then be held by nobody for its whole ttl, stalling
      // every caller behind it. Freeing it may, rarely, free another holder's lease,
      // which the database's guard (above) makes harmless.
      Promise.resolve(this.presence.hdel(key, FIELD)).catch(() => undefined);
      throw err;
    }
    if (holders !== 1) return undefined;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await this.presence.hdel(key, FIELD);
    };
  }

  /**
   * Runs `work` under the lease on `name`, waiting up to `waitMs` for it (with backoff);
   * throws LockBusyError when it stays taken. The lease is released however `work` ends.
   */
  async run<T>(name: string, options: { ttlSeconds: number; waitMs: number }, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + options.waitMs;
    let pause = 5;
    for (;;) {
      const release = await this.tryAcquire(name, options.ttlSeconds);
      if (release) {
        try {
          return await work();
        } finally {
          // A release that fails leaves the lease to its ttl; it does not turn work done into an error.
          await release().catch(() => undefined);
        }
      }
      if (Date.now() + pause > deadline) throw new LockBusyError(name);
      await sleep(pause + Math.random() * pause);
      pause = Math.min(pause * 2, 100);
    }
  }
}
