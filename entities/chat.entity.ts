import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

export type ChatKind = "character" | "origchat";
export type EventRole = "user" | "character" | "narrator";

export interface StoredChoice {
  id: string;
  label: string;
}

/**
 * A character chat room (`kind` character: a user and one character) or an origchat
 * session (`kind` origchat: a user playing a story, optionally with a character). The
 * turn engine serves both; their latest turn and pending choices are read from the events.
 */
@Entity("chat_rooms")
export class ChatRoom {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ type: "text" })
  kind!: ChatKind;

  @Column({ name: "owner_id", type: "uuid" })
  ownerId!: string;

  @Column({ name: "character_id", type: "uuid", nullable: true })
  characterId!: string | null;

  @Column({ name: "story_id", type: "uuid", nullable: true })
  storyId!: string | null;

  /** The start set the room opened with (character chat). */
  @Column({ name: "opening_id", type: "text", nullable: true })
  openingId!: string | null;

  @Column({ type: "text", default: "plain" })
  mode!: string;

  @Column({ type: "jsonb", default: () => "'{}'" })
  settings!: Record<string, unknown>;

  /** Runtime state the generator is given: `stats` and setting `memos`. */
  @Column({ type: "jsonb", default: () => "'{}'" })
  meta!: Record<string, unknown>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  /** The last change of its settings. */
  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

/** What was said in a room, in (turn, ordinal) order: each turn's input at ordinal 0, then the reply; turn 0 is the opening. */
@Entity("chat_events")
export class ChatEvent {
  @PrimaryColumn({ type: "uuid" })
  id!: string;

  @Column({ name: "room_id", type: "uuid" })
  roomId!: string;

  @Column({ type: "integer" })
  turn!: number;

  @Column({ type: "smallint" })
  ordinal!: number;

  @Column({ type: "text" })
  role!: EventRole;

  @Column({ type: "text" })
  kind!: string;

  @Column({ type: "text" })
  text!: string;

  /** An input's idempotency key (unique per room). */
  @Column({ name: "idempotency_key", type: "text", nullable: true })
  idempotencyKey!: string | null;

  /** The choices a reply offered. */
  @Column({ type: "jsonb", nullable: true })
  choices!: StoredChoice[] | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
