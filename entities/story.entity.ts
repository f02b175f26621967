import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** A story. Deleting one only stamps `deleted_at`: it stays for history, and every later read is 410. */
@Entity("stories")
export class Story {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "owner_id", type: "uuid" })
  ownerId!: string;

  @Column({ type: "text" })
  title!: string;

  @Column({ type: "text", default: "" })
  summary!: string;

  @Column({ type: "text" })
  content!: string;

  @Column({ type: "text", nullable: true })
  genre!: string | null;

  @Column({ type: "text", array: true, default: () => "'{}'" })
  tags!: string[];

  @Column({ name: "is_public", type: "boolean", default: false })
  isPublic!: boolean;

  /** Kept in step with story_likes / story_comments in the same transaction as each write. */
  @Column({ name: "like_count", type: "integer", default: 0 })
  likeCount!: number;

  @Column({ name: "comment_count", type: "integer", default: 0 })
  commentCount!: number;

  @Column({ name: "deleted_at", type: "timestamptz", nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

@Entity("story_likes")
export class StoryLike {
  @PrimaryColumn({ name: "story_id", type: "uuid" })
  storyId!: string;

  @PrimaryColumn({ name: "user_id", type: "uuid" })
  userId!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}

@Entity("story_comments")
export class StoryComment {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "story_id", type: "uuid" })
  storyId!: string;

  @Column({ name: "author_id", type: "uuid" })
  authorId!: string;

  @Column({ type: "text" })
  content!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
