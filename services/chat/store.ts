import type { EntityManager, ObjectLiteral } from "typeorm";
import { Character } from "../../entities/character.entity";
import type { ChatKind, StoredChoice } from "../../entities/chat.entity";
import type { Database } from "../../infra/database";
import type { Page, PageQuery } from "../pagination";
import type { EventView } from "./schemas";

/**
 * The turn engine's SQL. A turn writes two rows, each in one statement: the user's
 * input (with the turn number max(turn) + 1, taken only if that is the number the turn
 * was written for and the room's character and story are still the versions read),
 * then the reply. Before them, one read of everything the turn needs (room, character,
 * story, the idempotency key's turn, the latest events), which the engine skips when
 * it holds what its own last turn of the room left. The unique keys of chat_events make
 * a duplicate turn number or idempotency key impossible whatever races.
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

/** The versions (updated_at, as Postgres prints it) of what a turn read besides the room: taking the turn checks them. */
export interface ReadVersions {
  character: string | null;
  story: string | null;
}

/** An event with what the engine keeps beside its view: a reply's choices. */
export interface StoredEvent extends EventView {
  choices: StoredChoice[] | null;
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
  /** The latest turn (0 before the first). */
  turn: number;
  /** The latest reply's choices; none once an input followed it. */
  pendingChoices: StoredChoice[];
  character: Character | null;
  story: StoryExcerpt | null;
  versions: ReadVersions;
  /** The turn whose input carried the idempotency key asked about. */
  idemTurn: number | null;
  /** The latest events, oldest first. */
  recent: StoredEvent[];
}

/** How much of a story's text an origchat reply is written from. */
const STORY_EXCERPT_CHARS = 1500;

const EVENT_COLUMNS = "id, turn, ordinal, role, kind, text, choices, created_at";

/** Aliases are spelled out: inside this query a bare `x` would name characters.x (a position), not a derived table. */
const READ_TURN_ROOM = `
  SELECT r.id, r.kind, r.owner_id, r.character_id, r.story_id, r.opening_id, r.settings, r.meta,
    to_jsonb(c) AS character, c.updated_at::text AS character_version, s.updated_at::text AS story_version,
    CASE WHEN s.id IS NULL THEN NULL ELSE jsonb_build_object(
      'title', s.title, 'summary', s.summary, 'excerpt', left(s.content, ${STORY_EXCERPT_CHARS}), 'deleted', s.deleted_at IS NOT NULL
    ) END AS story,
    (SELECT e.turn FROM chat_events e WHERE e.room_id = r.id AND e.idempotency_key = $2) AS idem_turn,
    (SELECT coalesce(jsonb_agg(to_jsonb(recent_event) ORDER BY recent_event.turn, recent_event.ordinal), '[]'::jsonb) FROM (
       SELECT ${EVENT_COLUMNS} FROM chat_events e WHERE e.room_id = r.id ORDER BY e.turn DESC, e.ordinal DESC LIMIT $3
     ) recent_event) AS recent
  FROM chat_rooms r
  LEFT JOIN characters c ON c.id = r.character_id
  LEFT JOIN stories s ON s.id = r.story_id
  WHERE r.id = $1`;

/**
 * Inserts the input of turn `$2 + 1` if max(turn) + 1 is that number and the room's
 * character ($9) and story ($10) are still the versions read (a story also not
 * deleted); nothing otherwise. A settings patch ($11) is stored with it.
 */
const BEGIN_TURN = `
  WITH next AS (
    SELECT coalesce(max(e.turn), 0) + 1 AS turn FROM chat_events e WHERE e.room_id = $1
  ), input AS (
    INSERT INTO chat_events (id, room_id, turn, ordinal, role, kind, text, idempotency_key, created_at)
    SELECT $3::uuid, $1, next.turn, 0, 'user', $4, $5, $6, $7::timestamptz FROM next
    WHERE next.turn = $2 + 1
      AND ($9::text IS NULL OR $9::text = (SELECT c.updated_at::text FROM characters c WHERE c.id = $12::uuid))
      AND ($10::text IS NULL OR $10::text = (SELECT s.updated_at::text FROM stories s WHERE s.id = $13::uuid AND s.deleted_at IS NULL))
    RETURNING turn
  ), patched AS (
    UPDATE chat_rooms r SET settings = r.settings || $11::jsonb, updated_at = now() FROM input WHERE r.id = $1 AND $8::boolean
  )
  SELECT turn FROM input`;

interface EventRow {
  id: string;
  turn: number;
  role: EventView["role"];
  kind: string;
  text: string;
  choices?: StoredChoice[] | null;
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

const toStored = (row: EventRow): StoredEvent => ({ ...toEvent(row), choices: row.choices ?? null });

/** The choices on offer after `latest`: a reply's, none after an input. */
export const pendingAfter = (latest: { kind: string; choices?: StoredChoice[] | null } | undefined): StoredChoice[] =>
  latest?.kind === "reply" ? (latest.choices ?? []) : [];

export class ChatStore {
  constructor(private readonly db: Database) {}

  async roomForTurn(roomId: string, idempotencyKey: string | undefined, recentEvents: number): Promise<TurnRoom | undefined> {
    const m = this.db.manager;
    const [row] = await m.query(READ_TURN_ROOM, [roomId, idempotencyKey ?? null, recentEvents]);
    if (!row) return undefined;
    const recent = (row.recent as EventRow[]).map(toStored);
    return {
      id: row.id,
      kind: row.kind,
      ownerId: row.owner_id,
      characterId: row.character_id,
      storyId: row.story_id,
      openingId: row.opening_id,
      settings: row.settings ?? {},
      meta: row.meta ?? {},
      turn: recent.at(-1)?.turn ?? 0,
      pendingChoices: pendingAfter(recent.at(-1)),
      character: row.character ? hydrate(m, Character, row.character) : null,
      story: row.story,
      versions: { character: row.character_version, story: row.story_version },
      idemTurn: row.idem_turn === null ? null : Number(row.idem_turn),
      recent,
    };
  }

  /**
   * Stores the input of turn `read.turn + 1`; undefined when the room moved on since
   * `read` (another turn, an edited character or story, a deleted story).
   */
  async beginTurn(
    read: Pick<TurnRoom, "id" | "turn" | "versions" | "characterId" | "storyId">,
    input: { event: NewEvent; idempotencyKey?: string; settingsPatch: Record<string, unknown> },
  ): Promise<number | undefined> {
    const { event } = input;
    const patched = Object.keys(input.settingsPatch).length > 0;
    const [row] = await this.db.manager.query(BEGIN_TURN, [
      read.id,
      read.turn,
      event.id,
      event.kind,
      event.text,
      input.idempotencyKey ?? null,
      event.created_at,
      patched,
      read.versions.character,
      read.versions.story,
      JSON.stringify(input.settingsPatch),
      read.characterId,
      read.storyId,
    ]);
    return row ? Number(row.turn) : undefined;
  }

  /** Stores the reply of turn `turn`, with the choices it offers. */
  async completeTurn(roomId: string, turn: number, reply: NewEvent, choices: StoredChoice[]): Promise<void> {
    await this.db.manager.query(
      `INSERT INTO chat_events (id, room_id, turn, ordinal, role, kind, text, choices, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)`,
      [reply.id, roomId, turn, reply.ordinal, reply.role, reply.kind, reply.text, JSON.stringify(choices), reply.created_at],
    );
  }

  /** The events of one turn, in order. */
  async turnEvents(roomId: string, turn: number): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.db.manager.query(`SELECT ${EVENT_COLUMNS} FROM chat_events WHERE room_id = $1 AND turn = $2 ORDER BY ordinal`, [roomId, turn]);
    return rows.map(toStored);
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
         SELECT o.id, r.id, 0, o.ordinal, o.role, o.kind, o.text, o.created_at
         FROM r CROSS JOIN jsonb_to_recordset($7::jsonb) AS o(id uuid, ordinal smallint, role text, kind text, text text, created_at timestamptz)
       )
       SELECT id, created_at FROM r`,
      [room.kind, room.ownerId, room.characterId, room.storyId, room.openingId ?? null, JSON.stringify(room.meta), JSON.stringify(opening), JSON.stringify(room.settings)],
    );
    return { id: row.id, created_at: new Date(row.created_at).toISOString() };
  }

  /** The room's latest `limit` events, oldest first. */
  async latestEvents(roomId: string, limit: number): Promise<EventView[]> {
    const rows: EventRow[] = await this.db.manager.query(
      `SELECT * FROM (SELECT ${EVENT_COLUMNS} FROM chat_events WHERE room_id = $1 ORDER BY turn DESC, ordinal DESC LIMIT $2) latest ORDER BY turn, ordinal`,
      [roomId, limit],
    );
    return rows.map(toEvent);
  }

  /** A page of the room's events, newest first. */
  async eventPage(roomId: string, q: PageQuery): Promise<Page<EventView>> {
    const m = this.db.manager;
    const [rows, [{ total }]] = await Promise.all([
      m.query(`SELECT ${EVENT_COLUMNS} FROM chat_events WHERE room_id = $1 ORDER BY turn DESC, ordinal DESC LIMIT $2 OFFSET $3`, [roomId, q.limit, q.offset]),
      m.query(`SELECT count(*)::int AS total FROM chat_events WHERE room_id = $1`, [roomId]),
    ]);
    return { items: (rows as EventRow[]).map(toEvent), total, limit: q.limit, offset: q.offset };
  }
}

/**
 * The latest turn of room `r`, its pending choices and the last input's idempotency
 * key, as columns of a query over `chat_rooms r` (the events are the only record of them).
 */
export const ROOM_PROGRESS = `
  coalesce(latest.turn, 0) AS turn,
  CASE WHEN latest.kind = 'reply' THEN coalesce(latest.choices, '[]'::jsonb) ELSE '[]'::jsonb END AS pending_choices,
  latest.created_at AS played_at,
  (SELECT e.idempotency_key FROM chat_events e WHERE e.room_id = r.id AND e.turn > 0 AND e.ordinal = 0 ORDER BY e.turn DESC LIMIT 1) AS last_idem_key`;

/** The join ROOM_PROGRESS reads from. */
export const LATEST_EVENT_JOIN = `
  LEFT JOIN LATERAL (SELECT e.turn, e.kind, e.choices, e.created_at FROM chat_events e WHERE e.room_id = r.id ORDER BY e.turn DESC, e.ordinal DESC LIMIT 1) latest ON true`;

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
