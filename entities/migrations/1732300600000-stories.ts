import type { MigrationInterface, QueryRunner } from "typeorm";

export class Stories1732300600000 implements MigrationInterface {
  name = "Stories1732300600000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stories (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title text NOT NULL,
        summary text NOT NULL DEFAULT '',
        content text NOT NULL,
        genre text,
        tags text[] NOT NULL DEFAULT '{}',
        is_public boolean NOT NULL DEFAULT false,
        like_count integer NOT NULL DEFAULT 0 CHECK (like_count >= 0),
        comment_count integer NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX stories_owner ON stories (owner_id, created_at DESC) WHERE deleted_at IS NULL;
      CREATE INDEX stories_public ON stories (created_at DESC) WHERE is_public AND deleted_at IS NULL;
      CREATE INDEX stories_tags ON stories USING gin (tags);

      CREATE TABLE story_likes (
        story_id uuid NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (story_id, user_id)
      );

      CREATE TABLE story_comments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        story_id uuid NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        author_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        content text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX story_comments_story ON story_comments (story_id, created_at, id);

      CREATE TABLE story_generation_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        prompt text NOT NULL,
        genre text,
        length text NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'generating', 'completed', 'failed', 'cancelled')),
        story_id uuid REFERENCES stories(id) ON DELETE SET NULL,
        error_code text,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX story_generation_jobs_owner ON story_generation_jobs (owner_id, created_at);

      CREATE TABLE story_extraction_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        story_id uuid NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('in_progress', 'completed', 'cancelled', 'failed', 'error')),
        result_count integer,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX story_extraction_jobs_story ON story_extraction_jobs (story_id, created_at);

      CREATE TABLE story_extracted_characters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        story_id uuid NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        job_id uuid REFERENCES story_extraction_jobs(id) ON DELETE SET NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        mentions integer NOT NULL CHECK (mentions >= 1),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX story_extracted_characters_story ON story_extracted_characters (story_id, mentions DESC);
      CREATE INDEX story_extracted_characters_job ON story_extracted_characters (job_id) WHERE job_id IS NOT NULL;

      -- Quick create's idempotency: one character per (owner, request_id), whatever races.
      ALTER TABLE characters ADD COLUMN request_id text;
      CREATE UNIQUE INDEX characters_owner_request ON characters (owner_id, request_id) WHERE request_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX characters_owner_request;
      ALTER TABLE characters DROP COLUMN request_id;
      DROP TABLE story_extracted_characters, story_extraction_jobs, story_generation_jobs, story_comments, story_likes, stories;
    `);
  }
}
