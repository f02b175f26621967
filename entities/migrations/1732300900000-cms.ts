import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Every stored CMS config is a version of its own; nothing is updated in place. The
 * primary key (key, version) is what makes concurrent writers safe: two admins who
 * read version N both insert N + 1, and the second insert fails.
 */
export class Cms1732300900000 implements MigrationInterface {
  name = "Cms1732300900000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cms_config_versions (
        key text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        config jsonb NOT NULL,
        rolled_back_from integer,
        updated_by uuid REFERENCES users(id) ON DELETE SET NULL,
        updated_by_username text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (key, version)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cms_config_versions`);
  }
}
