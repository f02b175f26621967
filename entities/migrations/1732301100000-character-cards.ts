import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Character cards: the fields a card carries without a column of their own, as the card
 * had them, and the portrait of a card imported as a PNG (stored apart from the row's
 * hot columns by TOAST, and selected only by the export).
 */
export class CharacterCards1732301100000 implements MigrationInterface {
  name = "CharacterCards1732301100000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE characters
        ADD COLUMN card jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN portrait bytea
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE characters DROP COLUMN portrait, DROP COLUMN card`);
  }
}
