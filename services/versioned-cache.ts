import type { TavernPresence } from "../infra/presence";
import type { Logger } from "../infra/logger";
import { isPresenceOutage } from "./presence-guard";

/**
 * Cache-aside in presence that a slow read cannot poison. Every write bumps the key's
 * generation; a cached value carries the generation it was read under, and a value of
 * any other generation is a miss. So a read that began before a write and stores its
 * old result afterwards stores it under a generation nobody asks for any more (a plain
 * delete-on-write would let it stand for the whole TTL). Generation and value are read
 * together, in one round trip. A cache that fails is a miss, never an error; it is logged
 * unless presence is down (an outage is logged once, where the connections are).
 */
export class VersionedCache {
  constructor(
    private readonly presence: TavernPresence,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {}

  async get<T>(key: string, load: () => Promise<T>): Promise<{ value: T; hit: boolean }> {
    let generation = "0";
    try {
      const [gen, cached] = await this.presence.mget(genKey(key), key);
      generation = gen ?? "0";
      if (cached) {
        const entry = JSON.parse(cached) as { g: string; v: T };
        if (entry.g === generation) return { value: entry.v, hit: true };
      }
    } catch (err) {
      if (!isPresenceOutage(err)) this.logger.warn({ err, key }, "cache read failed");
    }
    const value = await load();
    try {
      await this.presence.setex(key, JSON.stringify({ g: generation, v: value }), this.ttlSeconds);
    } catch (err) {
      if (!isPresenceOutage(err)) this.logger.warn({ err, key }, "cache write failed");
    }
    return { value, hit: false };
  }

  /**
   * Call after the write committed. A failure here must not answer an error for a write
   * that happened (a client would retry it); the TTL bounds the staleness.
   */
  async invalidate(key: string): Promise<void> {
    try {
      await this.presence.incr(genKey(key));
      // Outlives every value stored under it: an expired generation restarts at 0, which no live value carries.
      await this.presence.expire(genKey(key), this.ttlSeconds * 2 + 1);
    } catch (err) {
      if (!isPresenceOutage(err)) this.logger.warn({ err, key }, "cache not invalidated");
    }
  }
}

const genKey = (key: string) => `${key}:gen`;
