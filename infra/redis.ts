import type { Redis } from "ioredis";
import type { Logger } from "./logger";

/** Eviction policies under which Redis never drops a key on its own: only `noeviction`. */
const SAFE_POLICIES = new Set(["noeviction"]);

export class UnsafeRedisError extends Error {
  constructor(policy: string) {
    super(
      `REDIS_URL: the server's maxmemory-policy is ${policy}, under which Redis may evict keys Tavern cannot lose ` +
        "(revoked tokens would work again, room listings and locks would vanish). Set maxmemory-policy noeviction.",
    );
    this.name = "UnsafeRedisError";
  }
}

/**
 * Refuses a Redis that may evict keys. A managed Redis that hides CONFIG is accepted
 * with a warning: a flush is still caught (revocations fall back to the database).
 */
export async function assertRedisKeepsKeys(redis: Redis, logger: Logger): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config("GET", "maxmemory-policy")) as string[];
    policy = reply[1];
  } catch (err) {
    logger.warn({ err }, "could not read Redis's maxmemory-policy; make sure it is noeviction");
    return;
  }
  if (policy !== undefined && !SAFE_POLICIES.has(policy)) throw new UnsafeRedisError(policy);
}
