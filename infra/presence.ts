import { LocalDriver, LocalPresence, type IRoomCache, type matchMaker, type Presence } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Redis } from "ioredis";
import { RedisPresence } from "@colyseus/redis-presence";
import type { Config } from "../config";

/**
 * The one place that decides between in-process presence and Redis. Everything that
 * spans processes (matchmaking, events, caches, locks, revocations) goes through
 * what this returns.
 */
export function createPresence(config: Pick<Config, "REDIS_URL">): {
  presence: Presence;
  driver: matchMaker.MatchMakerDriver;
  distributed: boolean;
} {
  if (config.REDIS_URL) {
    return {
      presence: new RedisPresence(config.REDIS_URL),
      driver: new ArbitratingRedisDriver(new Redis(config.REDIS_URL)),
      distributed: true,
    };
  }
  return { presence: new LocalPresence(), driver: new LocalDriver(), distributed: false };
}

/** True when presence answers a round trip in time; used by `/readyz`. */
export async function pingPresence(presence: Presence, timeoutMs = 2000): Promise<boolean> {
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

/**
 * RedisDriver registers a room by overwriting its listing; LocalDriver (and the
 * matchmaker, when a driver offers `insert`) arbitrates: the second room to register
 * an id is discarded and its client seated in the first. Rooms take their id from their
 * routing key (rooms/shared/join.ts), so with this insert two processes racing to
 * create one key's room end with one room.
 */
export class ArbitratingRedisDriver extends RedisDriver {
  constructor(private readonly redis: Redis) {
    super(redis);
  }

  async insert(room: IRoomCache): Promise<boolean> {
    return (await this.redis.hsetnx(ROOM_LISTINGS, room.roomId, JSON.stringify(room))) === 1;
  }
}
