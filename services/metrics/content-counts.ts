import type { Presence } from "@colyseus/core";
import type { Database } from "../../infra/database";
import type { Logger } from "../../infra/logger";
import { contentCountsView, type ContentCounts } from "./schemas";

const CACHE_KEY = "metrics:content-counts";
const CACHE_TTL_SECONDS = 60;
/** A cache slower than this is no cache: the database answers instead. */
const CACHE_TIMEOUT_MS = 250;

/**
 * Public totals, cached for a minute in presence. The cache is an optimisation only:
 * a read or write that fails, hangs or finds garbage is logged and the counts come
 * from the database, so a broken Redis never turns this into an error. Concurrent
 * misses in one process share one computation.
 */
export class ContentCountsService {
  private computing?: Promise<ContentCounts>;

  constructor(
    private readonly db: Database,
    private readonly presence: Presence,
    private readonly logger: Logger,
  ) {}

  async get(): Promise<{ counts: ContentCounts; cache: "hit" | "miss" }> {
    const cached = await this.readCache();
    if (cached) return { counts: cached, cache: "hit" };
    this.computing ??= this.computeAndCache().finally(() => (this.computing = undefined));
    return { counts: await this.computing, cache: "miss" };
  }

  private async computeAndCache(): Promise<ContentCounts> {
    const counts = await this.compute();
    try {
      await withTimeout(() => this.presence.setex(CACHE_KEY, JSON.stringify(counts), CACHE_TTL_SECONDS));
    } catch (err) {
      this.logger.warn({ err }, "content counts: cache write failed");
    }
    return counts;
  }

  private async readCache(): Promise<ContentCounts | undefined> {
    try {
      const raw: unknown = await withTimeout(() => this.presence.get(CACHE_KEY));
      if (typeof raw !== "string") return undefined;
      const parsed = contentCountsView.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
      this.logger.warn("content counts: ignoring a malformed cache entry");
    } catch (err) {
      this.logger.warn({ err }, "content counts: cache read failed");
    }
    return undefined;
  }

  private async compute(): Promise<ContentCounts> {
    const [row] = await this.db.manager.query(`
      SELECT (SELECT count(*) FROM users) AS users,
             (SELECT count(*) FROM characters) AS characters,
             (SELECT count(*) FROM characters WHERE is_public) AS public_characters,
             (SELECT count(*) FROM stories WHERE deleted_at IS NULL) AS stories,
             (SELECT count(*) FROM stories WHERE deleted_at IS NULL AND is_public) AS public_stories,
             (SELECT count(*) FROM messages) AS messages`);
    return {
      users: Number(row.users),
      characters: Number(row.characters),
      public_characters: Number(row.public_characters),
      stories: Number(row.stories),
      public_stories: Number(row.public_stories),
      messages: Number(row.messages),
    };
  }

}

/** Runs `op` (which may throw at once or return a promise or a value) with a deadline. */
async function withTimeout<T>(op: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`presence did not answer within ${CACHE_TIMEOUT_MS} ms`)), CACHE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(op), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
