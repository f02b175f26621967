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
    let loaded: T | undefined;
    const { json, hit } = await this.getJson(key, async () => (loaded = await load()));
    return { value: hit ? (JSON.parse(json) as T) : loaded!, hit };
  }

  /**
   * The value as JSON text, never parsed on a hit: for answers that are sent as stored.
   * `generationOf` names the key whose writes invalidate this one (several views of one
   * thing, such as the pages of a list, share its generation).
   */
  async getJson(key: string, load: () => Promise<unknown>, generationOf = key): Promise<{ json: string; hit: boolean }> {
    let generation = "0";
    try {
      const [gen, cached] = await this.presence.mget(genKey(generationOf), key);
      generation = String(gen ?? "0");
      // Stored as "<generation>\n<json>", so that a hit is a prefix test and no parse.
      if (cached) {
        const cut = cached.indexOf("\n");
        if (cut === generation.length && cached.startsWith(generation)) return { json: cached.slice(cut + 1), hit: true };
      }
    } catch (err) {
      if (!isPresenceOutage(err)) this.logger.warn({ err, key }, "cache read failed");
    }
    const json = JSON.stringify(await load()) as string | undefined;
    // Nothing to keep (a loader that found nothing): the next read loads again.
    if (json === undefined) return { json: "null", hit: false };
    try {
      await this.presence.setex(key, `${generation}\n${json}`, this.ttlSeconds);
    } catch (err) {
      if (!isPresenceOutage(err)) this.logger.warn({ err, key }, "cache write failed");
    }
    return { json, hit: false };
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

/** An answer already serialised (a cached page): the HTTP edge sends its text as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}
