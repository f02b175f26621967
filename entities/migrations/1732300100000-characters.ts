import type { MigrationInterface, QueryRunner } from "typeorm";

export class Characters1732300100000 implements MigrationInterface {
  name = "Characters1732300100000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE backgrounds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        bonuses jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX backgrounds_name_lower ON backgrounds (lower(name));

      CREATE TABLE characters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        class text NOT NULL,
        background_id uuid REFERENCES backgrounds(id) ON DELETE RESTRICT,
        description text NOT NULL DEFAULT '',
        greeting text NOT NULL DEFAULT '',
        image_url text,
        audience_slug text,
        style_slug text,
        one_line_intro text,
        is_public boolean NOT NULL DEFAULT false,
        tags text[] NOT NULL DEFAULT '{}',
        stats jsonb NOT NULL DEFAULT '{}',
        zone_id text NOT NULL,
        x double precision NOT NULL DEFAULT 0,
        y double precision NOT NULL DEFAULT 0,
        start_sets jsonb NOT NULL DEFAULT '[]',
        endings jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX characters_owner ON characters (owner_id, created_at);
      CREATE INDEX characters_public ON characters (created_at) WHERE is_public;
      CREATE INDEX characters_tags ON characters USING gin (tags);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE characters, backgrounds`);
  }
}
