import type { EntityManager, ObjectLiteral } from "typeorm";
import { Character } from "../../entities/character.entity";
import type { ChatKind, StoredChoice, TurnStatus } from "../../entities/chat.entity";
import type { Database } from "../../infra/database";
import type { Page, PageQuery } from "../pagination";
import type { EventView } from "./schemas";

/**
 * The turn engine's SQL. A turn costs three statements: one read of everything the
 * turn needs (room, character, story, the idempotency key's turn, recent events), one
 * that takes the turn (bumps the room's counter only if it still is what was read,
 * inserts the turn and the user's events), and one that stores the reply. Each
 * statement is atomic on its own; the unique keys of chat_turns make a duplicate turn
 * number or idempotency key impossible whatever races.
 */

/** An event as the engine writes it; `turn` comes from the statement that takes the turn. */
export interface NewEvent {
  id: string;
  ordinal: number;
  role: EventView["role"];
  kind: string;
  text: string;
  created_at: string;
}

export interface StoryExcerpt {
  title: string;
  summary: string;
  excerpt: string;
  deleted: boolean;
}

export interface IdempotentTurn {
  turn: number;
  status: TurnStatus;
  response: unknown;
}

/** Everything a turn reads, in one round trip. */
export interface TurnRoom {
  id: string;
  kind: ChatKind;
  ownerId: string;
  characterId: string | null;
  storyId: string | null;
  openingId: string | null;
  settings: Record<string, unknown>;
  meta: Record<string, unknown>;
  pendingChoices: StoredChoice[];
  turn: number;
  character: Character | null;
  story: StoryExcerpt | null;
  idem: IdempotentTurn | null;
  /** The latest events, oldest first. */
  recent: EventView[];
}

/** How much of a story's text an origchat reply is written from. */
const STORY_EXCERPT_CHARS = 1500;

/** Aliases are spelled out: inside this query a bare \`x\` would name characters.x (a position), not a derived table. */
const READ_TURN_ROOM = `
  SELECT r.id, r.kind, r.owner_id, r.character_id, r.story_id, r.opening_id, r.settings, r.meta, r.pending_choices, r.turn,
    to_jsonb(c) AS character,
    CASE WHEN s.id IS NULL THEN NULL ELSE jsonb_build_object(
      'title', s.title, 'summary', s.summary, 'excerpt', left(s.content, ${STORY_EXCERPT_CHARS}), 'deleted', s.deleted_at IS NOT NULL
    ) END AS story,
    (SELECT json_build_object('turn', t.turn, 'status', t.status, 'response', t.response)
       FROM chat_turns t WHERE t.room_id = r.id AND t.idempotency_key = $2) AS idem,
    (SELECT coalesce(jsonb_agg(to_jsonb(recent_event) ORDER BY recent_event.turn, recent_event.ordinal), '[]'::jsonb) FROM (
       SELECT e.id, e.turn, e.ordinal, e.role, e.kind, e.text, e.created_at FROM chat_events e
       WHERE e.room_id = r.id ORDER BY e.turn DESC, e.ordinal DESC LIMIT $3
     ) recent_event) AS recent
  FROM chat_rooms r
  LEFT JOIN characters c ON c.id = r.character_id
  LEFT JOIN stories s ON s.id = r.story_id
  WHERE r.id = $1`;

const EVENT_COLUMNS = `x(id uuid, ordinal smallint, role text, kind text, text text, created_at timestamptz)`;

/** Takes turn `$2 + 1` if the room's latest turn is still `$2`; nothing otherwise. */
const BEGIN_TURN = `
  WITH r AS (
    UPDATE chat_rooms SET turn = turn + 1, pending_choices = '[]'::jsonb, settings = settings || $3::jsonb, last_idem_key = $4, updated_at = now()
    WHERE id = $1 AND turn = $2
    RETURNING turn, settings
  ), t AS (
    INSERT INTO chat_turns (room_id, turn, input_type, idempotency_key, status)
    SELECT $1, r.turn, $5, $4, 'generating' FROM r
  ), e AS (
    INSERT INTO chat_events (id, room_id, turn, ordinal, role, kind, text, created_at)
    SELECT x.id, $1, r.turn, x.ordinal, x.role, x.kind, x.text, x.created_at FROM r CROSS JOIN jsonb_to_recordset($6::jsonb) AS ${EVENT_COLUMNS}
  )
  SELECT turn, settings FROM r`;

/** Stores the reply of turn `$2`; the room's pending choices change only if no later turn took over. */
const COMPLETE_TURN = `
  WITH e AS (
    INSERT INTO chat_events (id, room_id, turn, ordinal, role, kind, text, created_at)
    SELECT x.id, $1, $2, x.ordinal, x.role, x.kind, x.text, x.created_at FROM jsonb_to_recordset($3::jsonb) AS ${EVENT_COLUMNS}
  ), t AS (
    UPDATE chat_turns SET status = 'completed', response = $4::json, updated_at = now() WHERE room_id = $1 AND turn = $2
  )
  UPDATE chat_rooms SET pending_choices = $5::jsonb WHERE id = $1 AND turn = $2`;

interface EventRow {
  id: string;
  turn: number;
  role: EventView["role"];
  kind: string;
  text: string;
  created_at: string | Date;
}

export const toEvent = (row: EventRow): EventView => ({
  id: row.id,
  turn: Number(row.turn),
  role: row.role,
  kind: row.kind,
  text: row.text,
  created_at: new Date(row.created_at).toISOString(),
});

export class ChatStore {
  constructor(private readonly db: Database) {}

  async roomForTurn(roomId: string, idempotencyKey: string | undefined, recentEvents: number): Promise<TurnRoom | undefined> {
    const m = this.db.manager;
    const [row] = await m.query(READ_TURN_ROOM, [roomId, idempotencyKey ?? null, recentEvents]);
    if (!row) return undefined;
    return {
      id: row.id,
      kind: row.kind,
      ownerId: row.owner_id,
      characterId: row.character_id,
      storyId: row.story_id,
      openingId: row.opening_id,
      settings: row.settings ?? {},
      meta: row.meta ?? {},
      pendingChoices: row.pending_choices ?? [],
      turn: Number(row.turn),
      character: row.character ? hydrate(m, Character, row.character) : null,
      story: row.story,
      idem: row.idem,
      recent: (row.recent as EventRow[]).map(toEvent),
    };
  }

  /** Takes turn `expectedTurn + 1` with the user's events; undefined when another turn got there first. */
  async beginTurn(
    roomId: string,
    expectedTurn: number,
    input: { type: string; events: NewEvent[]; settings: Record<string, unknown>; idempotencyKey?: string },
  ): Promise<{ turn: number; settings: Record<string, unknown> } | undefined> {
    const [row] = await this.db.manager.query(BEGIN_TURN, [
      roomId,
      expectedTurn,
      JSON.stringify(input.settings),
      input.idempotencyKey ?? null,
      input.type,
      JSON.stringify(input.events),
    ]);
    return row ? { turn: Number(row.turn), settings: row.settings } : undefined;
  }

  async completeTurn(roomId: string, turn: number, events: NewEvent[], response: unknown, choices: StoredChoice[]): Promise<void> {
    await this.db.manager.query(COMPLETE_TURN, [roomId, turn, JSON.stringify(events), JSON.stringify(response), JSON.stringify(choices)]);
  }

  async failTurn(roomId: string, turn: number): Promise<void> {
    await this.db.manager.query(`UPDATE chat_turns SET status = 'failed', updated_at = now() WHERE room_id = $1 AND turn = $2 AND status = 'generating'`, [roomId, turn]);
  }

  /** Inserts a room with its opening events (turn 0). */
  async createRoom(
    m: EntityManager,
    room: {
      kind: ChatKind;
      ownerId: string;
      characterId: string | null;
      storyId: string | null;
      openingId?: string | null;
      meta: Record<string, unknown>;
      settings: Record<string, unknown>;
    },
    opening: NewEvent[] = [],
  ): Promise<{ id: string; created_at: string }> {
    const [row] = await m.query(
      `WITH r AS (
         INSERT INTO chat_rooms (kind, owner_id, character_id, story_id, opening_id, meta, settings) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $8::jsonb)
         RETURNING id, created_at
       ), e AS (
         INSERT INTO chat_events (id, room_id, turn, ordinal, role, kind, text, created_at)
         SELECT x.id, r.id, 0, x.ordinal, x.role, x.kind, x.text, x.created_at FROM r CROSS JOIN jsonb_to_recordset($7::jsonb) AS ${EVENT_COLUMNS}
       )
       SELECT id, created_at FROM r`,
      [room.kind, room.ownerId, room.characterId, room.storyId, room.openingId ?? null, JSON.stringify(room.meta), JSON.stringify(opening), JSON.stringify(room.settings)],
    );
    return { id: row.id, created_at: new Date(row.created_at).toISOString() };
  }

  /** The room's latest `limit` events, oldest first. */
  async latestEvents(roomId: string, limit: number): Promise<EventView[]> {
    const rows: EventRow[] = await this.db.manager.query(
      `SELECT * FROM (SELECT id, turn, ordinal, role, kind, text, created_at FROM chat_events WHERE room_id = $1 ORDER BY turn DESC, ordinal DESC LIMIT $2) x
       ORDER BY turn, ordinal`,
      [roomId, limit],
    );
    return rows.map(toEvent);
  }

  /** A page of the room's events, newest first. */
  async eventPage(roomId: string, q: PageQuery): Promise<Page<EventView>> {
    const m = this.db.manager;
    const [rows, [{ total }]] = await Promise.all([
      m.query(`SELECT id, turn, ordinal, role, kind, text, created_at FROM chat_events WHERE room_id = $1 ORDER BY turn DESC, ordinal DESC LIMIT $2 OFFSET $3`, [
        roomId,
        q.limit,
        q.offset,
      ]),
      m.query(`SELECT count(*)::int AS total FROM chat_events WHERE room_id = $1`, [roomId]),
    ]);
    return { items: (rows as EventRow[]).map(toEvent), total, limit: q.limit, offset: q.offset };
  }
}

/**
 * An entity from a row that Postgres turned into JSON (`to_jsonb(c)`), column by column
 * through the entity's metadata, so that columns added to the entity later come along.
 */
function hydrate<T extends ObjectLiteral>(m: EntityManager, target: new () => T, row: Record<string, unknown>): T {
  const metadata = m.connection.getMetadata(target);
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    if (!(column.databaseName in row)) continue;
    const value = row[column.databaseName];
    column.setEntityValue(entity, value !== null && (column.type === "timestamptz" || column.type === "timestamp") ? new Date(value as string) : value);
  }
  return entity;
}
