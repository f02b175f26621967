import { LocalDriver, LocalPresence, matchMaker, RoomInternalState, type IRoomCache, type Presence, type SortOptions } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import type { Redis } from "ioredis";
import { RedisPresence } from "@colyseus/redis-presence";
import type { Logger } from "./logger";
import { isRedisOutage, type RedisConnections } from "./redis";

/**
 * Presence with one read of several keys: a request's revocation and cache look-ups in
 * one Redis command instead of one each (each is a command object, a reply and a
 * timeout timer on the hottest path).
 */
export interface TavernPresence extends Presence {
  mget(...keys: string[]): Promise<(string | null)[]>;
}

/**
 * The one place that decides between in-process presence and Redis. Everything that
 * spans processes (matchmaking, events, caches, locks, revocations) goes through
 * what this returns. With Redis, every connection comes from (or is adopted by)
 * `connections`, which owns their lifecycle and logging.
 */
export function createPresence(
  connections: RedisConnections | undefined,
  logger: Logger,
): {
  presence: TavernPresence;
  /** The same presence as Colyseus's matchmaker gets it (see `quietWrites`). */
  matchmakerPresence: Presence;
  driver: matchMaker.MatchMakerDriver;
  registry?: ArbitratingRedisDriver;
} {
  if (connections) {
    const publisher = connections.create("presence");
    const presence = new TavernRedisPresence(publisher);
    connections.adopt("presence", publisher, { failFast: true });
    connections.adopt("presence-subscriber", presence.subscriber, { failFast: false });
    const driver = new ArbitratingRedisDriver(connections.create("driver"), logger);
    return { presence, matchmakerPresence: quietWrites(presence), driver, registry: driver };
  }
  const presence = new TavernLocalPresence();
  return { presence, matchmakerPresence: presence, driver: new LocalDriver() };
}

/** The writes Colyseus's matchmaker issues without awaiting them (process stats, IPC requests and replies). */
const UNAWAITED_WRITES = new Set<string | symbol>(["hset", "publish"]);

/**
 * Presence for the matchmaker: while Redis is down, the writes it fires and forgets
 * resolve instead of rejecting. The write is lost either way (the registry re-registers
 * the process when Redis is back, an IPC request times out); a rejection would only
 * print an unhandled-rejection stack per write.
 */
function quietWrites(presence: Presence): Presence {
  return new Proxy(presence, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (!UNAWAITED_WRITES.has(property) || typeof value !== "function") return value;
      return (...args: unknown[]) =>
        (value.apply(target, args) as Promise<unknown>).catch((err: unknown) => {
          if (!isRedisOutage(err)) throw err;
        });
    },
  });
}

/** RedisPresence with its subscriber connection in reach, so that it can be adopted. */
class TavernRedisPresence extends RedisPresence implements TavernPresence {
  get subscriber(): Redis {
    return this.sub as Redis;
  }

  mget(...keys: string[]): Promise<(string | null)[]> {
    return (this.pub as Redis).mget(...keys);
  }
}

/** In-process presence; `mget` reads the same store as `get` (values set with set and setex). */
export class TavernLocalPresence extends LocalPresence implements TavernPresence {
  async mget(...keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => (this.get(key) as string | undefined) ?? null);
  }
}

/**
 * True when presence answers a round trip in time; used by `/readyz`. A Redis that is
 * not connected fails at once (its connections do not queue), so this only waits for
 * one that is connected but slow.
 */
export async function pingPresence(presence: Presence, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = Promise.resolve(presence.exists("tavern:readyz")).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The hash in which @colyseus/redis-driver keeps room listings (not exported by it). */
const ROOM_LISTINGS = "roomcaches";
/** The hash in which Colyseus's matchmaker keeps its processes (Stats.ts, not exported). */
const PROCESSES = "roomcount";
/** The channel on which a Colyseus process answers create and health-check requests. */
const processChannel = (processId: string) => `p:${processId}`;
/** Tavern's mark that a process's registration and listings are in this Redis. */
const processMark = (processId: string) => `tavern:process:${processId}`;

/**
 * RedisDriver with the two things a cluster needs from its registry:
 *
 * - Arbitration. RedisDriver registers a room by overwriting its listing; LocalDriver
 *   (and the matchmaker, when a driver offers `insert`) arbitrates: the second room to
 *   register an id is discarded and its client seated in the first. Rooms take their id
 *   from their routing key (rooms/shared/join.ts), so with this insert two processes
 *   racing to create one key's room end with one room.
 * - Dead processes drop out at once. A listing found on another process is only offered
 *   if that process still listens on its channel (a SIGKILLed process's subscriptions
 *   vanish with its connection); otherwise the process and all its listings are removed
 *   and the caller finds nothing, so the room is created again on a live process instead
 *   of the join waiting for the matchmaker's IPC timeout (2 s) on the dead one.
 */
export class ArbitratingRedisDriver extends RedisDriver {
  private readonly forgetting = new Map<string, Promise<void>>();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {
    super(redis);
  }

  /** Called unawaited when a room is disposed: while Redis is down the listing is dropped with the registry's next restore. */
  async remove(roomId: string): Promise<boolean> {
    try {
      return await super.remove(roomId);
    } catch (err) {
      if (isRedisOutage(err)) return false;
      throw err;
    }
  }

  async insert(room: IRoomCache): Promise<boolean> {
    // A live room of this process under that id, unlisted because Redis forgot it: it is
    // the key's room. List it again and lose, so the matchmaker seats the client in it.
    const live = matchMaker.getLocalRoomById(room.roomId);
    if (live && live["_listing"] !== room && live["_internalState"] === RoomInternalState.CREATED) {
      await this.redis.hsetnx(ROOM_LISTINGS, room.roomId, JSON.stringify(live["_listing"]));
      return false;
    }
    return (await this.redis.hsetnx(ROOM_LISTINGS, room.roomId, JSON.stringify(room))) === 1;
  }

  findOne(conditions: Partial<IRoomCache>, sortOptions?: SortOptions): Promise<IRoomCache> {
    const found = super.findOne(conditions, sortOptions);
    return (async () => {
      const room = await found;
      if (!room || room.processId === matchMaker.processId || (await this.isAlive(room.processId))) return room;
      await this.forgetProcess(room.processId);
      return undefined as unknown as IRoomCache;
    })();
  }

  /** The process id of the room listed under `roomId`, if any. */
  async ownerOf(roomId: string): Promise<string | undefined> {
    const raw = await this.redis.hget(ROOM_LISTINGS, roomId);
    return raw ? (JSON.parse(raw) as IRoomCache).processId : undefined;
  }

  /**
   * Marks `processId` as known to this Redis for `ttlSeconds`; false when the mark was
   * not there (Redis restarted empty, or another process swept this one). The mark is
   * Tavern's own: the matchmaker writes its process entry on any join, which says nothing
   * about whether the room listings survived.
   */
  async renewMark(processId: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(processMark(processId), "1", "EX", ttlSeconds, "GET")) !== null;
  }

  /** The matchmaker's processes. */
  processes(): Promise<string[]> {
    return this.redis.hkeys(PROCESSES);
  }

  /** Whether `processId` still listens for matchmaking requests. */
  async isAlive(processId: string): Promise<boolean> {
    const [, subscribers] = (await this.redis.pubsub("NUMSUB", processChannel(processId))) as [string, number];
    return Number(subscribers) > 0;
  }

  /** Takes a dead process and its room listings out of matchmaking. */
  forgetProcess(processId: string): Promise<void> {
    let pending = this.forgetting.get(processId);
    if (!pending) {
      pending = (async () => {
        await this.redis.hdel(PROCESSES, processId);
        await this.redis.del(processMark(processId));
        await this.cleanup(processId);
        this.logger.warn({ process_id: processId }, "a process stopped listening: it and its rooms are out of matchmaking");
      })().finally(() => this.forgetting.delete(processId));
      this.forgetting.set(processId, pending);
    }
    return pending;
  }
}
