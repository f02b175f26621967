import type { Request, RequestHandler, Response } from "express";
import { ipKeyGenerator, rateLimit, type RateLimitInfo, type Store } from "express-rate-limit";
import { RedisStore, type RedisReply } from "rate-limit-redis";
import type { Redis } from "ioredis";
import { rateLimited } from "../../services/errors";
import { rethrowOutage } from "../../services/presence-guard";

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
 *
 * A request may pass several rules (a login counts per address and per account); its
 * response carries one `RateLimit` and one `RateLimit-Policy` header (IETF draft 8
 * syntax), for the rule nearest to being exhausted, rather than one pair per rule.
 */
export class RateLimiter {
  constructor(private readonly redis: Redis | undefined) {}

  rule(rule: RateLimitRule): RequestHandler {
    // Each rule's count under a property of its own: a skipped rule must not report the previous one's.
    const property = `rateLimit:${rule.name}`;
    const infoOf = (req: Request) => (req as unknown as Record<string, RateLimitInfo | undefined>)[property];
    const limiter = rateLimit({
      windowMs: rule.windowSeconds * 1000,
      limit: rule.limit,
      standardHeaders: false,
      legacyHeaders: false,
      requestPropertyName: property,
      store: this.store(rule.name),
      skip: rule.applies ? (req) => !rule.applies!(req) : undefined,
      skipSuccessfulRequests: rule.failuresOnly === true,
      keyGenerator: rule.key ?? clientAddress,
      handler: (req, _res, next) => {
        const reset = infoOf(req)?.resetTime?.getTime() ?? Date.now() + rule.windowSeconds * 1000;
        next(rateLimited((reset - Date.now()) / 1000));
      },
    });
    return (req, res, next) =>
      limiter(req, res, (err?: unknown) => {
        const info = infoOf(req);
        if (info) count(req, res, rule, info);
        next(err);
      });
  }

  private store(name: string): Store | undefined {
    const redis = this.redis;
    if (!redis) return undefined;
    return new RedisStore({
      prefix: `ratelimit:${name}:`,
      // Redis down: the request is answered 503, neither let through uncounted nor a 500.
      sendCommand: (command: string, ...args: string[]) => (redis.call(command, ...args) as Promise<RedisReply>).catch(rethrowOutage),
    });
  }
}

interface Counted {
  name: string;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  reset: number;
  window: number;
}

const COUNTED = Symbol("rate limits counted");

/** Records this rule's count for the request and points the headers at the nearest limit so far. */
function count(req: Request, res: Response, rule: RateLimitRule, info: RateLimitInfo) {
  const reset = info.resetTime ? Math.max(0, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000)) : rule.windowSeconds;
  const counted = ((req as unknown as { [COUNTED]?: Counted[] })[COUNTED] ??= []);
  counted.push({ name: rule.name, limit: info.limit, remaining: info.remaining, reset, window: rule.windowSeconds });
  // Fewest requests left; on a tie, the one that stays exhausted longer.
  const nearest = counted.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.reset > a.reset) ? b : a));
  if (res.headersSent) return;
  res.setHeader("RateLimit-Policy", `"${nearest.name}";q=${nearest.limit};w=${nearest.window}`);
  res.setHeader("RateLimit", `"${nearest.name}";r=${nearest.remaining};t=${nearest.reset}`);
}

/** The client's address as rate limits count it: IPv6 clients by their /56, since one host holds many addresses. */
export function clientAddress(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? "unknown", 56);
}
