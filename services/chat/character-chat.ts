import crypto from "node:crypto";
import type { Character } from "../../entities/character.entity";
import { ChatRoom } from "../../entities/chat.entity";
import type { Database } from "../../infra/database";
import { forbidden, notFound } from "../errors";
import type { Page, PageQuery } from "../pagination";
import { isUuid } from "../sql";
import type { AuthClaims } from "../tokens";
import { LATEST_EVENTS, lockStart, playableCharacter } from "./access";
import type { TurnEngine } from "./engine";
import type { ChatMessageInput, ChatMessageView, ChatRoomView, ChatStartInput, ChatStartView, EventView } from "./schemas";
import { DEFAULT_SETTINGS, effectiveSettings } from "./settings";
import { LATEST_EVENT_JOIN, ROOM_PROGRESS, type ChatStore, type NewEvent } from "./store";

/** Runtime meta a new room starts with: no stat changes, no memos beyond its start set's. */
const ROOM_META_DEFAULTS = { stats: {}, memos: [] };

/**
 * Character chat: a user's rooms with one character, opened from a
 * start set or the greeting, and turns played through the turn engine.
 */
export class CharacterChatService {
  constructor(
    private readonly db: Database,
    private readonly store: ChatStore,
    private readonly engine: TurnEngine,
  ) {}

  /** The caller's newest room with the character (`reused`), or a new one when there is none, or always with `forceNew`. */
  async start(claims: AuthClaims, input: ChatStartInput, forceNew = false): Promise<ChatStartView> {
    const { room, reused } = await this.db.transaction(async (m) => {
      const character = await playableCharacter(m, claims, input.character_id);
      const opening = openingOf(character, input.opening_id);
      if (!forceNew) {
        await lockStart(m, claims.userId, "character", character.id);
        const latest = await m.findOne(ChatRoom, {
          where: { kind: "character", ownerId: claims.userId, characterId: character.id },
          order: { createdAt: "DESC" },
          select: { id: true },
        });
        if (latest) return { room: latest.id, reused: true };
      }
      const created = await this.store.createRoom(
        m,
        { kind: "character", ownerId: claims.userId, characterId: character.id, storyId: null, openingId: opening?.id, meta: ROOM_META_DEFAULTS, settings: DEFAULT_SETTINGS },
        openingEvents(character, opening),
      );
      return { room: created.id, reused: false };
    });
    return { room_id: room, character_id: input.character_id, reused, messages: await this.store.latestEvents(room, LATEST_EVENTS) };
  }

  async message(claims: AuthClaims, input: ChatMessageInput): Promise<ChatMessageView> {
    const outcome = await this.engine.play({
      kind: "character",
      roomId: input.room_id,
      userId: claims.userId,
      input: { type: "text", text: input.content },
      characterId: input.character_id,
      settingsPatch: input.settings_patch,
    });
    return { turn: outcome.turn, user_message: outcome.events[0]!, character_message: outcome.events.at(-1)!, settings: outcome.settings };
  }

  /** The caller's rooms, the most recently played first. */
  async rooms(claims: AuthClaims, q: PageQuery): Promise<Page<ChatRoomView>> {
    const m = this.db.manager;
    const [rows, [{ total }]] = await Promise.all([
      m.query(
        `SELECT r.id, r.character_id, c.name AS character_name, r.opening_id, r.settings, r.created_at, ${ROOM_PROGRESS}
         FROM chat_rooms r JOIN characters c ON c.id = r.character_id ${LATEST_EVENT_JOIN}
         WHERE r.kind = 'character' AND r.owner_id = $1 ORDER BY coalesce(latest.created_at, r.created_at) DESC, r.id LIMIT $2 OFFSET $3`,
        [claims.userId, q.limit, q.offset],
      ),
      m.query(`SELECT count(*)::int AS total FROM chat_rooms WHERE kind = 'character' AND owner_id = $1`, [claims.userId]),
    ]);
    const items = (rows as RoomRow[]).map((r) => ({
      id: r.id,
      character_id: r.character_id,
      character_name: r.character_name,
      opening_id: r.opening_id,
      turn: Number(r.turn),
      settings: effectiveSettings(r.settings),
      created_at: new Date(r.created_at).toISOString(),
      updated_at: new Date(r.played_at ?? r.created_at).toISOString(),
    }));
    return { items, total, limit: q.limit, offset: q.offset };
  }

  /** A room's messages, newest first; the room owner's only. */
  async messages(claims: AuthClaims, roomId: string, q: PageQuery): Promise<Page<EventView>> {
    const room = isUuid(roomId) ? await this.db.manager.findOne(ChatRoom, { where: { id: roomId, kind: "character" }, select: { id: true, ownerId: true } }) : null;
    if (!room) throw notFound("chat room");
    if (room.ownerId !== claims.userId) throw forbidden("This chat room is not yours.");
    return this.store.eventPage(room.id, q);
  }
}

interface RoomRow {
  id: string;
  character_id: string;
  character_name: string;
  opening_id: string | null;
  turn: number;
  settings: Record<string, unknown>;
  created_at: string | Date;
  /** The latest event's time: when the room was last played. */
  played_at: string | Date | null;
}

function openingOf(character: Character, openingId: string | undefined) {
  if (openingId === undefined) return undefined;
  const found = character.startSets.find((s) => s.id === openingId);
  if (!found) throw notFound("start set");
  return found;
}

/** A start set opens with its intro (narrated) and first line; without one, the greeting. */
function openingEvents(character: Character, opening: ReturnType<typeof openingOf>): NewEvent[] {
  const at = new Date().toISOString();
  const lines: Pick<NewEvent, "role" | "kind" | "text">[] = opening
    ? [
        { role: "narrator", kind: "intro", text: opening.intro.trim() },
        { role: "character", kind: "first_line", text: opening.first_line.trim() },
      ]
    : [{ role: "character", kind: "greeting", text: character.greeting.trim() }];
  return lines.filter((l) => l.text !== "").map((l, ordinal) => ({ ...l, id: crypto.randomUUID(), ordinal, created_at: at }));
}
