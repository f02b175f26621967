import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

export type EmailTokenKind = "verify" | "reset";

/** Single-use email tokens (verification, password reset); stored hashed. */
@Entity("email_tokens")
export class EmailToken {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ type: "text" })
  kind!: EmailTokenKind;

  @Column({ name: "token_hash", type: "text", unique: true })
  tokenHash!: string;

  @Column({ name: "user_id", type: "uuid", nullable: true })
  userId!: string | null;

  @Column({ type: "text" })
  email!: string;

  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt!: Date;

  @Column({ name: "used_at", type: "timestamptz", nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}

/** An email verified before any account had it; a registration within 24 h is verified. */
@Entity("preverified_emails")
export class PreverifiedEmail {
  @PrimaryColumn({ type: "text" })
  email!: string;

  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt!: Date;
}

export type OutboxStatus = "pending" | "sent" | "failed";

/** Outgoing email, written in the same transaction as whatever it announces. */
@Entity("outbox")
export class OutboxEmail {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "to_address", type: "text" })
  to!: string;

  @Column({ type: "text" })
  subject!: string;

  @Column({ type: "text" })
  body!: string;

  @Column({ type: "text", default: "pending" })
  status!: OutboxStatus;

  @Column({ type: "int", default: 0 })
  attempts!: number;

  @Column({ name: "last_error", type: "text", nullable: true })
  lastError!: string | null;

  /** A claimed row is leased until then; a failed one waits until then for its retry. */
  @Column({ name: "next_attempt_at", type: "timestamptz", default: () => "now()" })
  nextAttemptAt!: Date;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @Column({ name: "sent_at", type: "timestamptz", nullable: true })
  sentAt!: Date | null;
}
