import type { MigrationInterface, QueryRunner } from "typeorm";

/** Sites, their members, and the interactions staff record there with their audit trail. */
export class Sites1732300800000 implements MigrationInterface {
  name = "Sites1732300800000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        slug text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX sites_slug ON sites (lower(slug));

      CREATE TABLE site_members (
        site_id uuid NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        site_role text NOT NULL CHECK (site_role IN ('staff', 'manager')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, user_id)
      );
      CREATE INDEX site_members_user ON site_members (user_id);

      CREATE TABLE interactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        site_id uuid NOT NULL REFERENCES sites(id) ON DELETE RESTRICT,
        type text NOT NULL CHECK (type IN ('support_ticket', 'warning', 'ban', 'appeal', 'note', 'feedback')),
        summary text NOT NULL,
        details text,
        subject_user_id uuid,
        character_id uuid,
        occurred_at timestamptz NOT NULL,
        created_by uuid NOT NULL,
        updated_by uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX interactions_site_occurred ON interactions (site_id, occurred_at, id);
      CREATE INDEX interactions_site_subject ON interactions (site_id, subject_user_id, occurred_at) WHERE subject_user_id IS NOT NULL;
      CREATE INDEX interactions_site_character ON interactions (site_id, character_id, occurred_at) WHERE character_id IS NOT NULL;

      CREATE TABLE interaction_audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site_id uuid NOT NULL REFERENCES sites(id) ON DELETE RESTRICT,
        interaction_id uuid NOT NULL,
        action text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
        by_user_id uuid NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        changes jsonb NOT NULL
      );
      CREATE INDEX interaction_audit_interaction ON interaction_audit (site_id, interaction_id, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE interaction_audit, interactions, site_members, sites`);
  }
}
