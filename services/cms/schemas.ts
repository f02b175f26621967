import { z } from "zod";
import type { CmsConfigVersion } from "../../entities/cms.entity";
import { pageOf } from "../pagination";

/**
 * The CMS keys and their schemas. Each key's schema is written once and built twice:
 * strictly for writes (an unknown field is 400, as everywhere) and leniently for
 * reads, so that a config stored by an older release still reads back.
 *
 * How a schema may change without breaking what is stored: every field has a default
 * (a field added later is filled in when an older version is read); a field that is
 * removed is dropped on read; a top-level field whose stored value no longer validates
 * reads as its default rather than failing the whole config.
 */

type Mode = "write" | "read";

const objectFor =
  (mode: Mode) =>
  <S extends z.core.$ZodLooseShape>(shape: S) =>
    (mode === "write" ? z.strictObject(shape) : z.object(shape)) as unknown as z.ZodObject<S>;

const uniqueValues = (values: string[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) ctx.addIssue({ code: "custom", path: [i], message: "is listed twice" });
    seen.add(v);
  });
};

const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const instant = z.iso.datetime({ offset: true });

function homeSchema(mode: Mode) {
  const object = objectFor(mode);
  const banner = object({
    id: z.string().trim().min(1).max(64),
    title: z.string().trim().min(1).max(120),
    subtitle: z.string().trim().max(240).default(""),
    image_url: httpUrl.nullable().default(null),
    link_url: httpUrl.nullable().default(null),
    starts_at: instant.nullable().default(null),
    ends_at: instant.nullable().default(null),
  }).refine((b) => !b.starts_at || !b.ends_at || Date.parse(b.starts_at) < Date.parse(b.ends_at), {
    path: ["ends_at"],
    message: "must be after starts_at",
  });
  const ids = z.array(z.uuid()).max(24).superRefine(uniqueValues).default([]);
  return object({
    banners: z
      .array(banner)
      .max(20)
      .superRefine((banners, ctx) => uniqueValues(banners.map((b) => b.id), ctx))
      .default([]),
    featured_character_ids: ids,
    featured_story_ids: ids,
    notice: object({
      enabled: z.boolean().default(false),
      text: z.string().trim().max(500).default(""),
      level: z.enum(["info", "warning", "critical"]).default("info"),
    }).prefault({}),
  });
}

/** What the home page shows: banners, featured characters and stories, and a notice. */
export const homeConfig = homeSchema("read").meta({ id: "HomeConfig" });
export type HomeConfig = z.output<typeof homeConfig>;

export interface CmsKey {
  /** Validates a write; missing fields take their defaults. */
  write: z.ZodType<Record<string, unknown>>;
  /** Reads any stored version (see `readStored`). */
  read: z.ZodObject;
}

export const CMS_KEYS: Record<string, CmsKey> = {
  home: { write: homeSchema("write"), read: homeConfig },
};

/**
 * A stored config as the current schema sees it: unknown fields dropped, missing ones
 * filled with defaults, and a top-level field that no longer validates replaced by its
 * default instead of failing the read.
 */
export function readStored(schema: z.ZodObject, stored: unknown): Record<string, unknown> {
  const source = stored !== null && typeof stored === "object" && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [field, fieldSchema] of Object.entries(schema.shape)) {
    const parsed = (fieldSchema as z.ZodType).safeParse(source[field]);
    out[field] = parsed.success ? parsed.data : (fieldSchema as z.ZodType).parse(undefined);
  }
  return out;
}

export const cmsKeyParams = z.object({ key: z.string() });

export const putConfigBody = z
  .strictObject({ config: z.record(z.string(), z.unknown()) })
  .meta({ id: "PutCmsConfigRequest", description: "`config` is validated by the key's schema (e.g. HomeConfig); missing fields take their defaults." });

export const rollbackBody = z.strictObject({ version: z.number().int().min(1).max(2_147_483_647) }).meta({ id: "CmsRollbackRequest" });

const updatedBy = z.object({ id: z.uuid().nullable(), username: z.string() }).nullable();

export const cmsConfigView = z
  .object({
    key: z.string(),
    /** 0 while nothing was stored: the config is the schema's defaults. */
    version: z.number().int(),
    config: homeConfig,
    updated_at: z.string().nullable(),
    updated_by: updatedBy,
  })
  .meta({ id: "CmsConfig" });
export type CmsConfigView = z.output<typeof cmsConfigView>;

export const cmsVersionView = z
  .object({
    version: z.number().int(),
    updated_at: z.string(),
    updated_by: updatedBy,
    rolled_back_from: z.number().int().nullable(),
  })
  .meta({ id: "CmsConfigVersion" });
export type CmsVersionView = z.output<typeof cmsVersionView>;
export const cmsVersionsView = pageOf(cmsVersionView);

const byOf = (row: CmsConfigVersion) => ({ id: row.updatedBy, username: row.updatedByUsername });

export function toCmsConfig(key: string, schema: CmsKey, row: CmsConfigVersion | null): CmsConfigView {
  return {
    key,
    version: row?.version ?? 0,
    config: readStored(schema.read, row?.config) as HomeConfig,
    updated_at: row ? row.createdAt.toISOString() : null,
    updated_by: row ? byOf(row) : null,
  };
}

export const toCmsVersion = (row: CmsConfigVersion): CmsVersionView => ({
  version: row.version,
  updated_at: row.createdAt.toISOString(),
  updated_by: byOf(row),
  rolled_back_from: row.rolledBackFrom,
});
