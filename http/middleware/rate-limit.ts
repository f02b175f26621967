import type { Request, RequestHandler } from "express";
import { rateLimit, type Store } from "express-rate-limit";
import { RedisStore, type RedisReply } from "rate-limit-redis";
import type { Redis } from "ioredis";
import { rateLimited } from "../../services/errors";

export interface RateLimitRule {
  /** Distinguishes the counters of different rules in the shared store. */
  name: string;
  windowSeconds: number;
  limit: number;
  /** What is counted: by default the client address. Return undefined to skip. */
  key?: (req: Request) => string | undefined;
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
      skip: (req) => rule.key !== undefined && rule.key(req) === undefined,
      keyGenerator: (req) => (rule.key ? rule.key(req)! : clientAddress(req)),
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

export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}
