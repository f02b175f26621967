import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Character chat rooms and origchat sessions share one shape (`kind` tells them apart)
 * and one turn engine. What was said is a list of events in (turn, ordinal) order: a
 * turn is the user's input at ordinal 0 and the reply after it, turn 0 the opening.
 * Whatever races, a turn number is taken once: (room_id, turn, ordinal) is unique and
 * every turn's input is its ordinal 0, so two inputs can never share a turn, and the
 * engine takes max(turn) + 1 in the statement that inserts the input (a rolled-back
 * insert leaves no gap). An idempotency key names at most one input of its room. The
 * latest turn, the pending choices (those of the latest reply) and the last key are read
 * from the events, never kept twice.
 */
export class Chat1732301400000 implements MigrationInterface {
  name = "Chat1732301400000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat_rooms (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('character', 'origchat')),
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        character_id uuid REFERENCES characters(id) ON DELETE CASCADE,
        story_id uuid REFERENCES stories(id) ON DELETE CASCADE,
        opening_id text,
        mode text NOT NULL DEFAULT 'plain',
        settings jsonb NOT NULL DEFAULT '{}',
        meta jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind <> 'character' OR (character_id IS NOT NULL AND story_id IS NULL)),
        CHECK (kind <> 'origchat' OR story_id IS NOT NULL)
      );
      CREATE INDEX chat_rooms_character_reuse ON chat_rooms (owner_id, character_id, created_at DESC) WHERE kind = 'character';
      CREATE INDEX chat_rooms_story_reuse ON chat_rooms (owner_id, story_id, created_at DESC) WHERE kind = 'origchat';
      CREATE INDEX chat_rooms_character ON chat_rooms (character_id) WHERE character_id IS NOT NULL;
      CREATE INDEX chat_rooms_story ON chat_rooms (story_id);

      CREATE TABLE chat_events (
        id uuid PRIMARY KEY,
        room_id uuid NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,
        turn integer NOT NULL CHECK (turn >= 0),
        ordinal smallint NOT NULL CHECK (ordinal >= 0),
        role text NOT NULL CHECK (role IN ('user', 'character', 'narrator')),
        kind text NOT NULL,
        text text NOT NULL,
        -- An input's idempotency key; a reply's offered choices.
        idempotency_key text,
        choices jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (room_id, turn, ordinal),
        CHECK (turn = 0 OR ordinal > 0 OR role = 'user')
      );
      CREATE UNIQUE INDEX chat_events_idempotency ON chat_events (room_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat_events, chat_rooms`);
  }
}
