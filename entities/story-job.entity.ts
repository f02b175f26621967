import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

export type GenerationStatus = "queued" | "generating" | "completed" | "failed" | "cancelled";

/** One streamed story generation: queued → generating → completed | failed | cancelled. */
@Entity("story_generation_jobs")
export class StoryGenerationJob {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "owner_id", type: "uuid" })
  ownerId!: string;

  @Column({ type: "text" })
  prompt!: string;

  @Column({ type: "text", nullable: true })
  genre!: string | null;

  @Column({ type: "text" })
  length!: string;

  @Column({ type: "text" })
  status!: GenerationStatus;

  /** The story the generated text was saved as. */
  @Column({ name: "story_id", type: "uuid", nullable: true })
  storyId!: string | null;

  @Column({ name: "error_code", type: "text", nullable: true })
  errorCode!: string | null;

  @Column({ name: "error_message", type: "text", nullable: true })
  errorMessage!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

/** `failed`: the generator failed; `error`: anything else did (a bug, an outage, a shutdown). */
export type ExtractionStatus = "in_progress" | "completed" | "cancelled" | "failed" | "error";

/** An asynchronous rebuild of a story's extracted characters. */
@Entity("story_extraction_jobs")
export class StoryExtractionJob {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "story_id", type: "uuid" })
  storyId!: string;

  /** Who started it: the user its updates are announced to. */
  @Column({ name: "owner_id", type: "uuid" })
  ownerId!: string;

  @Column({ type: "text" })
  status!: ExtractionStatus;

  @Column({ name: "result_count", type: "integer", nullable: true })
  resultCount!: number | null;

  @Column({ type: "text", nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

/** A character found in a story's text; `job_id` names the asynchronous rebuild that wrote it, if one did. */
@Entity("story_extracted_characters")
export class ExtractedCharacterRow {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "story_id", type: "uuid" })
  storyId!: string;

  @Column({ name: "job_id", type: "uuid", nullable: true })
  jobId!: string | null;

  @Column({ type: "text" })
  name!: string;

  @Column({ type: "text", default: "" })
  description!: string;

  @Column({ type: "integer" })
  mentions!: number;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
