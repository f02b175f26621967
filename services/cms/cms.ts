import { CmsConfigVersion } from "../../entities/cms.entity";
import type { Database } from "../../infra/database";
import { DomainError, forbidden, notFound } from "../errors";
import { uniqueViolation } from "../sql";
import type { AuthClaims } from "../tokens";
import { parseOrThrow } from "../validation";
import { CMS_KEYS, toCmsConfig, toCmsVersion, type CmsConfigView, type CmsKey, type CmsVersionView } from "./schemas";

const PRIMARY_KEY = "cms_config_versions_pkey";
/** A rollback without If-Match lands on whatever is current; a write racing it makes it try again. */
const ROLLBACK_ATTEMPTS = 5;
const RACED = Symbol("raced");

const versionConflict = (current: number) =>
  new DomainError(412, "version_conflict", `Someone else changed this config first: the current version is ${current}. Read it again and reapply your change.`);

/**
 * Versioned configs for live operations (the home page and whatever keys follow). A
 * write names the version it was based on; the insert of version + 1 succeeds only
 * while that is still the latest, and the primary key (key, version) turns a race
 * between two writers into one success and one 412. Nothing is overwritten: every
 * version stays, and a rollback is a new version with an old one's content.
 */
export class CmsService {
  constructor(private readonly db: Database) {}

  async get(key: string): Promise<CmsConfigView> {
    const schema = schemaOf(key);
    return toCmsConfig(key, schema, await this.latest(key));
  }

  async versions(key: string, page: { limit: number; offset: number }): Promise<{ items: CmsVersionView[]; total: number }> {
    schemaOf(key);
    const [rows, total] = await this.db.manager.findAndCount(CmsConfigVersion, {
      where: { key },
      order: { version: "DESC" },
      take: page.limit,
      skip: page.offset,
    });
    return { items: rows.map(toCmsVersion), total };
  }

  /** Stores `input` as the version after `expected`, which must still be the latest. */
  async put(admin: AuthClaims, key: string, expected: number, input: Record<string, unknown>): Promise<CmsConfigView> {
    const schema = schemaOf(key);
    const config = parseOrThrow(schema.write, input, "config");
    const inserted = await this.insert(
      `INSERT INTO cms_config_versions (key, version, config, updated_by, updated_by_username)
       SELECT $1, $2::int + 1, $3::jsonb, u.id, u.username FROM users u
       WHERE u.id = $4 AND (SELECT COALESCE(max(version), 0) FROM cms_config_versions WHERE key = $1) = $2::int`,
      [key, expected, JSON.stringify(config), admin.userId],
    );
    if (inserted === undefined) await this.explainNothingStored(key, expected);
    return this.view(key, schema, inserted);
  }

  /**
   * Stores version `version`'s content again as the newest version. With `expected`
   * (If-Match) it is as safe as a write; without, it applies to whatever is current.
   */
  async rollback(admin: AuthClaims, key: string, version: number, expected?: number): Promise<CmsConfigView> {
    const schema = schemaOf(key);
    for (let attempt = 1; ; attempt++) {
      const inserted = await this.insert(
        `INSERT INTO cms_config_versions (key, version, config, rolled_back_from, updated_by, updated_by_username)
         SELECT o.key, cur.version + 1, o.config, o.version, u.id, u.username
         FROM cms_config_versions o
         CROSS JOIN (SELECT COALESCE(max(version), 0) AS version FROM cms_config_versions WHERE key = $1) cur
         JOIN users u ON u.id = $3
         WHERE o.key = $1 AND o.version = $2 AND ($4::int IS NULL OR cur.version = $4::int)`,
        [key, version, admin.userId, expected ?? null],
      );
      if (inserted === RACED && expected === undefined && attempt < ROLLBACK_ATTEMPTS) continue;
      if (inserted === undefined) {
        if (!(await this.db.manager.existsBy(CmsConfigVersion, { key, version }))) throw notFound("cms version");
        await this.explainNothingStored(key, expected);
      }
      return this.view(key, schema, inserted);
    }
  }

  private latest(key: string): Promise<CmsConfigVersion | null> {
    return this.db.manager.findOne(CmsConfigVersion, { where: { key }, order: { version: "DESC" } });
  }

  /** The version the statement stored; undefined when its conditions held for no row; RACED when another writer took the number first. */
  private async insert(sql: string, params: unknown[]): Promise<number | undefined | typeof RACED> {
    try {
      const rows: { version: number }[] = await this.db.manager.query(`${sql} RETURNING version`, params);
      return rows[0]?.version;
    } catch (err) {
      if (uniqueViolation(err) === PRIMARY_KEY) return RACED;
      throw err;
    }
  }

  /** An insert whose conditions held for no row: the version moved on, or the author's account is gone. */
  private async explainNothingStored(key: string, expected: number | undefined): Promise<never> {
    const current = (await this.latest(key))?.version ?? 0;
    if (expected !== undefined && current !== expected) throw versionConflict(current);
    throw forbidden("The account making this change no longer exists.");
  }

  private async view(key: string, schema: CmsKey, inserted: number | undefined | typeof RACED): Promise<CmsConfigView> {
    if (typeof inserted !== "number") throw versionConflict((await this.latest(key))?.version ?? 0);
    return toCmsConfig(key, schema, await this.db.manager.findOneByOrFail(CmsConfigVersion, { key, version: inserted }));
  }
}

function schemaOf(key: string): CmsKey {
  const schema = Object.hasOwn(CMS_KEYS, key) ? CMS_KEYS[key] : undefined;
  if (!schema) throw notFound("cms key");
  return schema;
}
