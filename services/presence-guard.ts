import type { Presence } from "@colyseus/core";
import { isRedisOutage } from "../infra/redis";
import { DomainError, serviceUnavailable } from "./errors";

/**
 * Presence as services see it: a call that fails because Redis is down or did not answer
 * in time rejects with the 503 `service_unavailable` domain error, which both edges
 * answer with `Retry-After`; any other failure passes through unchanged (a bug). The
 * connections underneath do not queue while Redis is away (infra/redis.ts), so the
 * answer comes at once rather than when the client has given up.
 */
export function failFastPresence<P extends Presence>(presence: P): P {
  // One wrapper per method, made on first use: every request calls presence, and a
  // closure per call would be garbage on the hot path.
  const wrappers = new Map<string | symbol, (...args: unknown[]) => unknown>();
  return new Proxy(presence, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      let wrapper = wrappers.get(property);
      if (!wrapper) {
        wrapper = (...args: unknown[]) => {
          const result = (Reflect.get(target, property) as (...a: unknown[]) => unknown).apply(target, args);
          return result instanceof Promise ? result.catch(rethrowOutage) : result;
        };
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

/** Rethrows `err` as the 503 domain error when it means Redis is unreachable. */
export function rethrowOutage(err: unknown): never {
  throw isRedisOutage(err) ? serviceUnavailable("presence") : err;
}

/** Whether `err` is presence being down, as `failFastPresence` reports it (already logged once per outage). */
export const isPresenceOutage = (err: unknown): boolean => err instanceof DomainError && err.code === "service_unavailable";
