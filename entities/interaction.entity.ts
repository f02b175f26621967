import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/**
 * The kinds of contact staff record, with the labels clients show. The one list that
 * request validation and `GET /interactions/types` read; the table's CHECK repeats the
 * keys, so adding one takes a migration that widens it.
 */
export const INTERACTION_TYPES = [
  { key: "support_ticket", label: "Support ticket" },
  { key: "warning", label: "Warning" },
  { key: "ban", label: "Ban" },
  { key: "appeal", label: "Appeal" },
  { key: "note", label: "Note" },
  { key: "feedback", label: "Feedback" },
] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number]["key"];
export const INTERACTION_TYPE_KEYS = INTERACTION_TYPES.map((t) => t.key) as [InteractionType, ...InteractionType[]];

/**
 * A record of contact with a player on a site. Only `services/sites/scope.ts` queries
 * this table, so that every query is filtered by the caller's active site.
 *
 * `subject_user_id`, `character_id`, `created_by` and `updated_by` carry no foreign key:
 * a ban or an appeal must outlive the character it was about, and must not stop it
 * from being deleted.
 */
@Entity("interactions")
export class Interaction {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "site_id", type: "uuid" })
  siteId!: string;

  @Column({ type: "text" })
  type!: InteractionType;

  @Column({ type: "text" })
  summary!: string;

  @Column({ type: "text", nullable: true })
  details!: string | null;

  @Column({ name: "subject_user_id", type: "uuid", nullable: true })
  subjectUserId!: string | null;

  @Column({ name: "character_id", type: "uuid", nullable: true })
  characterId!: string | null;

  @Column({ name: "occurred_at", type: "timestamptz" })
  occurredAt!: Date;

  @Column({ name: "created_by", type: "uuid" })
  createdBy!: string;

  @Column({ name: "updated_by", type: "uuid" })
  updatedBy!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

export const AUDIT_ACTIONS = ["create", "update", "delete"] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One field's value before and after a change; null where it had none. */
export type FieldChanges = Record<string, { old: unknown; new: unknown }>;

/**
 * The audit trail of interactions: one row per create, update and delete, written in
 * the same transaction as the change and never updated or deleted. It keeps its own
 * `site_id` and no foreign key to the interaction, so a deleted interaction's history
 * stays readable (to members of its site) for appeals.
 */
@Entity("interaction_audit")
export class InteractionAudit {
  @PrimaryGeneratedColumn("identity", { type: "bigint", generatedIdentity: "ALWAYS" })
  id!: string;

  @Column({ name: "site_id", type: "uuid" })
  siteId!: string;

  @Column({ name: "interaction_id", type: "uuid" })
  interactionId!: string;

  @Column({ type: "text" })
  action!: AuditAction;

  @Column({ name: "by_user_id", type: "uuid" })
  byUserId!: string;

  @CreateDateColumn({ name: "at", type: "timestamptz" })
  at!: Date;

  @Column({ type: "jsonb" })
  changes!: FieldChanges;
}
