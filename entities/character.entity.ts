import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

export interface StartSet {
  id: string;
  title: string;
  intro: string;
  first_line: string;
}

export interface Ending {
  id: string;
  title: string;
  condition: string;
  content: string;
}

@Entity("backgrounds")
export class Background {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ type: "text" })
  name!: string;

  @Column({ type: "text", default: "" })
  description!: string;

  @Column({ type: "jsonb", default: () => "'{}'" })
  bonuses!: Record<string, number>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

@Entity("characters")
export class Character {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Index()
  @Column({ name: "owner_id", type: "uuid" })
  ownerId!: string;

  @Column({ type: "text" })
  name!: string;

  @Column({ type: "text" })
  class!: string;

  @Column({ name: "background_id", type: "uuid", nullable: true })
  backgroundId!: string | null;

  @Column({ type: "text", default: "" })
  description!: string;

  @Column({ type: "text", default: "" })
  greeting!: string;

  @Column({ name: "image_url", type: "text", nullable: true })
  imageUrl!: string | null;

  @Column({ name: "audience_slug", type: "text", nullable: true })
  audienceSlug!: string | null;

  @Column({ name: "style_slug", type: "text", nullable: true })
  styleSlug!: string | null;

  @Column({ name: "one_line_intro", type: "text", nullable: true })
  oneLineIntro!: string | null;

  @Column({ name: "is_public", type: "boolean", default: false })
  isPublic!: boolean;

  @Column({ type: "text", array: true, default: () => "'{}'" })
  tags!: string[];

  @Column({ type: "jsonb", default: () => "'{}'" })
  stats!: Record<string, number>;

  @Column({ name: "zone_id", type: "text" })
  zoneId!: string;

  @Column({ name: "x", type: "double precision", default: 0 })
  x!: number;

  @Column({ name: "y", type: "double precision", default: 0 })
  y!: number;

  @Column({ name: "start_sets", type: "jsonb", default: () => "'[]'" })
  startSets!: StartSet[];

  @Column({ type: "jsonb", default: () => "'[]'" })
  endings!: Ending[];

  /** What an imported character card carries beyond the columns (personality, character_book, extensions…), kept verbatim for export. */
  @Column({ type: "jsonb", default: () => "'{}'" })
  card!: Record<string, unknown>;

  /** The image of the PNG card it was imported from, its metadata chunks removed; loaded only by the card export. */
  @Column({ type: "bytea", nullable: true, select: false })
  portrait?: Buffer | null;

  /** The quick-create request that made this character; unique per owner. */
  @Column({ name: "request_id", type: "text", nullable: true })
  requestId!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}
