import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

/** The writes a user is metered on (configured per minute). */
export type WriteKind = "dm" | "character" | "say" | "turn";

export class WriteLimited extends Error {
  constructor(
    readonly kind: WriteKind,
    readonly retryAfterSeconds: number,
  ) {
    super(`too many ${kind} writes`);
    this.name = "WriteLimited";
  }
}

/**
 * Per-user budgets for writes that reach other people (direct messages, world chat),
 * the database (characters) or the text generator (chat turns), whichever edge they
 * come through. With Redis the
 * counters are shared by every process; a Redis that does not answer falls back to
 * this process's own counters rather than to no limit at all.
 */
export class WriteLimits {
  private readonly limiters: Record<WriteKind, RateLimiterAbstract>;

  constructor(redis: Redis | undefined, perMinute: Record<WriteKind, number>) {
    const build = (kind: WriteKind): RateLimiterAbstract => {
      const options = { keyPrefix: `writes:${kind}`, points: perMinute[kind], duration: 60 };
      if (!redis) return new RateLimiterMemory(options);
      return new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) });
    };
    this.limiters = { dm: build("dm"), character: build("character"), say: build("say"), turn: build("turn") };
  }

  /** Spends one unit of `userId`'s budget for `kind`; throws WriteLimited when it is spent. */
  async consume(kind: WriteKind, userId: string): Promise<void> {
    try {
      await this.limiters[kind].consume(userId);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new WriteLimited(kind, Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  }
}
