import { LocalDriver, LocalPresence, type matchMaker, type Presence } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
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
      driver: new RedisDriver(config.REDIS_URL),
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
