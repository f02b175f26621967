import type { Request, RequestHandler } from "express";
import { ipKeyGenerator, rateLimit, type Store } from "express-rate-limit";
import { RedisStore, type RedisReply } from "rate-limit-redis";
import type { Redis } from "ioredis";
import { rateLimited } from "../../services/errors";

export interface RateLimitRule {
  /** Distinguishes the counters of different rules in the shared store. */
  name: string;
  windowSeconds: number;
  limit: number;
  /** Whether the rule counts this request at all (e.g. only bodies that name an account). */
  applies?: (req: Request) => boolean;
  /** What is counted: by default the client's address (an IPv6 client by its /56). */
  key?: (req: Request) => string | Promise<string>;
  /** Count only requests that fail (4xx/5xx): a limit on guessing, not on using. */
  failuresOnly?: boolean;
}

/**
 * Builds rate-limit middleware on express-rate-limit. With Redis the counters live
 * there, so every process enforces one shared limit; otherwise they are in memory.
 */
export class RateLimiter {
  constructor(private readonly redis: Redis | undefined) {}

  rule(rule: RateLimitRule): RequestHandler {
    return rateLimit({
      windowMs: rule.windowSeconds * 1000,
      limit: rule.limit,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      store: this.store(rule.name),
      skip: rule.applies ? (req) => !rule.applies!(req) : undefined,
      skipSuccessfulRequests: rule.failuresOnly === true,
      keyGenerator: rule.key ?? clientAddress,
      handler: (req, _res, next) => {
        const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime?.getTime() ?? Date.now() + rule.windowSeconds * 1000;
        next(rateLimited((reset - Date.now()) / 1000));
      },
    });
  }

  private store(name: string): Store | undefined {
    const redis = this.redis;
    if (!redis) return undefined;
    return new RedisStore({
      prefix: `ratelimit:${name}:`,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
    });
  }
}

/** The client's address as rate limits count it: IPv6 clients by their /56, since one host holds many addresses. */
export function clientAddress(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? "unknown", 56);
}
