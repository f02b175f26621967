import type { EntityManager } from "typeorm";
import type { Story } from "../../entities/story.entity";
import type { Database } from "../../infra/database";
import { DomainError, forbidden } from "../errors";
import type { Page, PageQuery } from "../pagination";
import { page } from "../pagination";
import type { AuthClaims } from "../tokens";
import { findStory } from "./access";
import type { CommentView } from "./schemas";

const notPublic = () => new DomainError(403, "story_not_public", "Only a public story can be liked.");

/**
 * Likes and comments. A like is one row per user and story, so liking twice counts
 * once; the story's counters change in the same statement batch as the rows, so they
 * never drift from them.
 */
export class StoryEngagement {
  constructor(private readonly db: Database) {}

  async like(claims: AuthClaims, storyId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const story = await likeable(m, storyId);
      await m.query(
        `WITH ins AS (INSERT INTO story_likes (story_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
         UPDATE stories SET like_count = like_count + 1 WHERE id = $1 AND EXISTS (SELECT 1 FROM ins)`,
        [story.id, claims.userId],
      );
    });
  }

  async unlike(claims: AuthClaims, storyId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const story = await likeable(m, storyId);
      await m.query(
        `WITH del AS (DELETE FROM story_likes WHERE story_id = $1 AND user_id = $2 RETURNING 1)
         UPDATE stories SET like_count = like_count - 1 WHERE id = $1 AND EXISTS (SELECT 1 FROM del)`,
        [story.id, claims.userId],
      );
    });
  }

  /** Oldest first, the order a thread is read in. */
  async comments(claims: AuthClaims, storyId: string, query: PageQuery): Promise<Page<CommentView>> {
    const story = await commentable(this.db.manager, claims, storyId);
    const [rows, [{ total }]] = await Promise.all([
      this.db.manager.query(`${SELECT_COMMENT} WHERE c.story_id = $1 ORDER BY c.created_at, c.id LIMIT $2 OFFSET $3`, [story.id, query.limit, query.offset]),
      this.db.manager.query(`SELECT count(*)::int AS total FROM story_comments WHERE story_id = $1`, [story.id]),
    ]);
    return page((rows as CommentRow[]).map(toComment), total, query);
  }

  async comment(claims: AuthClaims, storyId: string, content: string): Promise<CommentView> {
    return this.db.transaction(async (m) => {
      const story = await commentable(m, claims, storyId);
      const [row]: CommentRow[] = await m.query(
        `WITH c AS (INSERT INTO story_comments (story_id, author_id, content) VALUES ($1, $2, $3) RETURNING *),
              bump AS (UPDATE stories SET comment_count = comment_count + 1 WHERE id = $1)
         ${SELECT_COMMENT.replace("FROM story_comments c", "FROM c")}`,
        [story.id, claims.userId, content],
      );
      return toComment(row!);
    });
  }
}

/** Likes are for public stories only, whoever asks (the owner of a private one too). */
async function likeable(m: EntityManager, id: string): Promise<Story> {
  const story = await findStory(m, id);
  if (!story.isPublic) throw notPublic();
  return story;
}

/** A public story's thread is every signed-in user's; a private story's only its owner's. */
async function commentable(m: EntityManager, claims: AuthClaims, id: string): Promise<Story> {
  const story = await findStory(m, id);
  if (!story.isPublic && story.ownerId !== claims.userId) throw forbidden("Only the owner may see or write comments on a private story.");
  return story;
}

const SELECT_COMMENT = `SELECT c.id, c.story_id, c.author_id, u.username AS author_username, c.content, c.created_at
  FROM story_comments c JOIN users u ON u.id = c.author_id`;

interface CommentRow {
  id: string;
  story_id: string;
  author_id: string;
  author_username: string;
  content: string;
  created_at: Date | string;
}

const toComment = (r: CommentRow): CommentView => ({
  id: r.id,
  story_id: r.story_id,
  author_id: r.author_id,
  author_username: r.author_username,
  content: r.content,
  created_at: new Date(r.created_at).toISOString(),
});
