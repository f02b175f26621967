import { z } from "zod";
import { AUDIT_ACTIONS, INTERACTION_TYPE_KEYS, type Interaction, type InteractionAudit } from "../../entities/interaction.entity";
import { pageQuery } from "../pagination";

export const interactionType = z.enum(INTERACTION_TYPE_KEYS);

const DATE_TIME = "an ISO 8601 date-time such as 2026-01-31T12:00:00Z";
const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");
const isoDateTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();

/**
 * An instant as a Date: an ISO 8601 date-time with `Z` or an offset, or, for a range
 * edge, a date alone, which means the start or the end of that day (UTC), so that
 * `from=2026-01-01&to=2026-01-31` covers all of January. Years 1–9999 only, which
 * both JavaScript and Postgres represent exactly.
 */
function instant(edge?: "start" | "end") {
  const message = edge ? `must be ${DATE_TIME} or a date such as 2026-01-31` : `must be ${DATE_TIME}`;
  return z
    .string()
    .max(64)
    .meta({ description: edge ? `${DATE_TIME} or a date (the ${edge} of that day, UTC)` : DATE_TIME })
    .transform((text, ctx) => {
      let iso: string | undefined;
      if (isoDateTime.safeParse(text).success) iso = text;
      else if (edge && isoDate.safeParse(text).success) iso = `${text}T${edge === "start" ? "00:00:00.000" : "23:59:59.999"}Z`;
      const at = iso === undefined ? Number.NaN : Date.parse(iso);
      if (!(at >= EARLIEST && at <= LATEST)) {
        ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      return new Date(at);
    });
}

const summary = z.string().trim().min(1).max(200);
const details = z.string().max(10_000);

export const createInteractionBody = z
  .strictObject({
    type: interactionType,
    summary,
    details: details.nullable().optional(),
    subject_user_id: z.uuid().nullable().optional(),
    character_id: z.uuid().nullable().optional(),
    occurred_at: instant().optional(),
  })
  .meta({ id: "CreateInteractionRequest" });
export type CreateInteractionInput = z.output<typeof createInteractionBody>;

export const updateInteractionBody = z
  .strictObject({
    type: interactionType.optional(),
    summary: summary.optional(),
    details: details.nullable().optional(),
    subject_user_id: z.uuid().nullable().optional(),
    character_id: z.uuid().nullable().optional(),
    occurred_at: instant().optional(),
  })
  .meta({ id: "UpdateInteractionRequest" });
export type UpdateInteractionInput = z.output<typeof updateInteractionBody>;

export const interactionsQuery = pageQuery
  .extend({
    type: interactionType.optional(),
    subject_user_id: z.uuid().optional(),
    character_id: z.uuid().optional(),
    from: instant("start").optional(),
    to: instant("end").optional(),
    q: z.string().trim().max(200).optional(),
    sort: z.enum(["occurred_at", "-occurred_at"]).default("-occurred_at"),
  })
  .superRefine((f, ctx) => {
    if (f.from && f.to && f.from > f.to) ctx.addIssue({ code: "custom", path: ["to"], message: "must not be before from" });
  });
export type InteractionFilters = z.output<typeof interactionsQuery>;

export const interactionIdParams = z.object({ id: z.string() });

export const interactionTypeView = z.object({ key: interactionType, label: z.string() }).meta({ id: "InteractionType" });

export const interactionView = z
  .object({
    id: z.uuid(),
    site_id: z.uuid(),
    type: interactionType,
    summary: z.string(),
    details: z.string().nullable(),
    subject_user_id: z.uuid().nullable(),
    character_id: z.uuid().nullable(),
    occurred_at: z.string(),
    created_by: z.uuid(),
    updated_by: z.uuid(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Interaction" });
export type InteractionView = z.infer<typeof interactionView>;

export const toInteraction = (i: Interaction): InteractionView => ({
  id: i.id,
  site_id: i.siteId,
  type: i.type,
  summary: i.summary,
  details: i.details,
  subject_user_id: i.subjectUserId,
  character_id: i.characterId,
  occurred_at: i.occurredAt.toISOString(),
  created_by: i.createdBy,
  updated_by: i.updatedBy,
  created_at: i.createdAt.toISOString(),
  updated_at: i.updatedAt.toISOString(),
});

export const historyEntryView = z
  .object({
    at: z.string(),
    by_user_id: z.uuid(),
    action: z.enum(AUDIT_ACTIONS),
    changes: z.record(z.string(), z.object({ old: z.unknown(), new: z.unknown() })),
  })
  .meta({ id: "InteractionHistoryEntry" });
export type HistoryEntryView = z.infer<typeof historyEntryView>;

export const toHistoryEntry = (a: InteractionAudit): HistoryEntryView => ({
  at: a.at.toISOString(),
  by_user_id: a.byUserId,
  action: a.action,
  changes: a.changes,
});
