import type { FieldChanges } from "../../entities/interaction.entity";
import type { InteractionFields } from "./scope";

/**
 * What the audit trail records of an interaction: the fields staff write, by their API
 * names, as JSON values. Who changed it and when are the entry's own `by_user_id` and
 * `at`, so `updated_by` and `updated_at` are not repeated as changes.
 */
export type AuditedFields = {
  type: string;
  summary: string;
  details: string | null;
  subject_user_id: string | null;
  character_id: string | null;
  occurred_at: string;
};

export const audited = (i: InteractionFields): AuditedFields => ({
  type: i.type,
  summary: i.summary,
  details: i.details,
  subject_user_id: i.subjectUserId,
  character_id: i.characterId,
  occurred_at: i.occurredAt.toISOString(),
});

/**
 * Every field whose value differs, with its old and new value; `null` stands for "no
 * interaction" on either side. So a create names each field it set, an update only what
 * it changed, and a delete each field's last value: the trail alone tells what an
 * interaction said at any time, after it was deleted too.
 */
export function changesBetween(before: AuditedFields | null, after: AuditedFields | null): FieldChanges {
  const changes: FieldChanges = {};
  const fields = Object.keys(before ?? after ?? {}) as (keyof AuditedFields)[];
  for (const field of fields) {
    const old = before?.[field] ?? null;
    const now = after?.[field] ?? null;
    if (old !== now) changes[field] = { old, new: now };
  }
  return changes;
}
