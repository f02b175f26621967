import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Character chat rooms and origchat sessions share one shape (`kind` tells them apart)
 * and one turn engine. A turn is a row keyed by (room_id, turn): whatever races, two
 * turns of one room can never share a number, and the room's `turn` counter, bumped in
 * the same statement that inserts the turn, leaves no gap (a rolled-back turn takes its
 * number with it). An idempotency key names at most one turn of its room.
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
        pending_choices jsonb NOT NULL DEFAULT '[]',
        turn integer NOT NULL DEFAULT 0 CHECK (turn >= 0),
        last_idem_key text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind <> 'character' OR (character_id IS NOT NULL AND story_id IS NULL)),
        CHECK (kind <> 'origchat' OR story_id IS NOT NULL)
      );
      CREATE INDEX chat_rooms_character_reuse ON chat_rooms (owner_id, character_id, updated_at DESC) WHERE kind = 'character';
      CREATE INDEX chat_rooms_owner ON chat_rooms (owner_id, updated_at DESC) WHERE kind = 'character';
      CREATE INDEX chat_rooms_story_reuse ON chat_rooms (owner_id, story_id, updated_at DESC) WHERE kind = 'origchat';
      CREATE INDEX chat_rooms_character ON chat_rooms (character_id) WHERE character_id IS NOT NULL;
      CREATE INDEX chat_rooms_story ON chat_rooms (story_id) WHERE story_id IS NOT NULL;

      CREATE TABLE chat_turns (
        room_id uuid NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,
        turn integer NOT NULL CHECK (turn >= 1),
        input_type text NOT NULL CHECK (input_type IN ('text', 'choice', 'situation')),
        idempotency_key text,
        status text NOT NULL CHECK (status IN ('generating', 'completed', 'failed')),
        -- json, not jsonb: a repeated idempotency key answers the very bytes of the first response (jsonb reorders keys).
        response json,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, turn)
      );
      CREATE UNIQUE INDEX chat_turns_idempotency ON chat_turns (room_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

      CREATE TABLE chat_events (
        id uuid PRIMARY KEY,
        room_id uuid NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,
        turn integer NOT NULL CHECK (turn >= 0),
        ordinal smallint NOT NULL CHECK (ordinal >= 0),
        role text NOT NULL CHECK (role IN ('user', 'character', 'narrator')),
        kind text NOT NULL,
        text text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (room_id, turn, ordinal)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat_events, chat_turns, chat_rooms`);
  }
}
