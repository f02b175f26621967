import type { MigrationInterface, QueryRunner } from "typeorm";

export class Messages1732300200000 implements MigrationInterface {
  name = "Messages1732300200000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        sender_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        recipient_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        content text NOT NULL,
        client_msg_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (sender_id <> recipient_id),
        CONSTRAINT messages_sender_client_msg UNIQUE (sender_id, client_msg_id)
      );
      CREATE INDEX messages_pair ON messages (LEAST(sender_id, recipient_id), GREATEST(sender_id, recipient_id), seq);
      CREATE INDEX messages_sender ON messages (sender_id, seq);
      CREATE INDEX messages_recipient ON messages (recipient_id, seq);

      CREATE TABLE dm_read_markers (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        peer_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        last_read_message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        last_read_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, peer_id)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dm_read_markers, messages`);
  }
}
