import type { MigrationInterface, QueryRunner } from "typeorm";

/** Outbox rows are claimed with a lease and retried with backoff, instead of held locked while sent. */
export class OutboxSchedule1732300500000 implements MigrationInterface {
  name = "OutboxSchedule1732300500000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
      DROP INDEX outbox_pending;
      CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX outbox_due;
      CREATE INDEX outbox_pending ON outbox (created_at) WHERE status = 'pending';
      ALTER TABLE outbox DROP COLUMN next_attempt_at;
    `);
  }
}
