import { CloseCode, matchMaker, RoomInternalState, type Room } from "@colyseus/core";
import type { Logger } from "./logger";
import type { ArbitratingRedisDriver } from "./presence";
import type { RedisConnections } from "./redis";

/** A room type's handler as Colyseus emits its rooms' lifecycle. */
interface RoomEvents {
  on(event: "create" | "dispose", listener: (room: Room) => void): unknown;
}

/** How many checks in a row a process must miss before the sweep takes it out. */
const MISSES_TO_FORGET = 2;
/** How long a process's mark outlives its last check: far longer than any pause between checks. */
const MARK_TTL_SECONDS = 30;

/**
 * Keeps this process's place in matchmaking across Redis outages and takes dead
 * processes out of it.
 *
 * Redis keeps nothing on disk here, so after a restart it has forgotten the process
 * (Colyseus's `roomcount` entry) and every room listing (`roomcaches`). On every
 * reconnection, and every `intervalMs`, the process renews its mark in Redis; when the
 * mark was gone, it registers itself again and re-inserts the listings of its live
 * rooms. Insertion arbitrates as at creation: if meanwhile another process created the
 * room of the same key (same id), that room wins and this one is closed with 4001, as at
 * a shutdown, so that its clients join again (docs/realtime.md) and land in the winner:
 * one live room per key.
 *
 * The same check sweeps processes that no longer listen on their matchmaking channel
 * (killed, or cut off): they and their listings are removed, as the driver does on a
 * join that finds one of their rooms.
 */
export class ProcessRegistry {
  private readonly rooms = new Set<Room>();
  private readonly misses = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Whether this process has put its mark in Redis (its first check). */
  private marked = false;

  constructor(
    private readonly driver: ArbitratingRedisDriver,
    private readonly connections: RedisConnections,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Follows the live rooms of these room types (the handlers `defineRoom` returns). */
  watchRooms<T extends Record<string, RoomEvents>>(handlers: T): T {
    for (const handler of Object.values(handlers)) {
      handler.on("create", (room) => this.rooms.add(room));
      handler.on("dispose", (room) => this.rooms.delete(room));
    }
    return handlers;
  }

  start(): void {
    this.connections.onReady(() => void this.check());
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops before shutdown: a process leaving matchmaking must not register itself again. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: register again if forgotten, then sweep dead processes. Never throws. */
  check(): Promise<void> {
    this.running ??= this.round()
      .catch((err: unknown) => this.logger.debug({ err }, "process registry check failed; retrying on the next one"))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async round(): Promise<void> {
    if (!this.timer || !this.connections.ready || matchMaker.state !== matchMaker.MatchMakerState.READY) return;
    const self = matchMaker.processId;
    const known = await this.driver.renewMark(self, MARK_TTL_SECONDS);
    if (!known && this.marked) await this.register(self);
    this.marked = true;
    for (const processId of await this.driver.processes()) {
      if (processId === self) continue;
      if (await this.driver.isAlive(processId)) {
        this.misses.delete(processId);
        continue;
      }
      const misses = (this.misses.get(processId) ?? 0) + 1;
      this.misses.set(processId, misses);
      if (misses >= MISSES_TO_FORGET) {
        this.misses.delete(processId);
        await this.driver.forgetProcess(processId);
      }
    }
  }

  private async register(self: string): Promise<void> {
    await matchMaker.stats.persist(true);
    let restored = 0;
    let closed = 0;
    for (const room of this.rooms) {
      if (room["_internalState"] !== RoomInternalState.CREATED) continue;
      if (await this.driver.insert(room["_listing"])) {
        restored++;
      } else if ((await this.driver.ownerOf(room.roomId)) !== self) {
        // Created again elsewhere while this one was unlisted: the listed one is the key's room.
        closed++;
        void room.disconnect(CloseCode.SERVER_SHUTDOWN);
      }
    }
    this.logger.info({ process_id: self, restored, closed }, "registered again in matchmaking (Redis had forgotten this process)");
  }
}
