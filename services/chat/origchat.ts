import type { Presence } from "@colyseus/core";
import type { Database } from "../../infra/database";
import type { Logger } from "../../infra/logger";
import { forbidden, gone, notFound } from "../errors";
import { isOwnerOr } from "../ownership";
import { isUuid } from "../sql";
import { chatStartsKey, findStory } from "../stories/access";
import type { AuthClaims } from "../tokens";
import { LATEST_EVENTS, lockStart, playableCharacter } from "./access";
import type { TurnEngine, TurnHooks, TurnOutcome } from "./engine";
import type { OrigchatMeta, OrigchatSessionView, OrigchatStartInput, OrigchatStartView, OrigchatTurnInput, OrigchatTurnView, SettingsPatch, TurnInput } from "./schemas";
import { assertKnownSettings, DEFAULT_SETTINGS, effectiveSettings } from "./settings";
import { LATEST_EVENT_JOIN, ROOM_PROGRESS, type ChatStore } from "./store";
import type { VersionedCache } from "../versioned-cache";

/** The only mode for now: any other requested mode is answered with it. */
export const ORIGCHAT_MODE = "plain";

/** Runtime meta a new session starts with. */
const RUNTIME_DEFAULTS = { mode: ORIGCHAT_MODE, stats: {}, memos: [] };

/** How long presence keeps a session's meta and a user's session per story; the database outlives it. */
export const META_TTL_SECONDS = 24 * 3600;

/** A session's meta in presence, with its owner for the access check. */
export const origchatMetaKey = (sessionId: string) => `origchat:session:${sessionId}:meta`;
/** The session a user plays a story (and character) in, in presence. */
export const origchatSessionKey = (userId: string, storyId: string, characterId: string | null) =>
  `origchat:user:${userId}:story:${storyId}:character:${characterId ?? "none"}`;

interface CachedMeta {
  owner_id: string;
  meta: OrigchatMeta;
}

/** A turn as it travels to the session's room (JSON: it may cross processes). */
export interface ForwardedTurn {
  user_id: string;
  input: TurnInput;
  idempotency_key?: string;
  settings_patch?: SettingsPatch;
}

/**
 * The session's origchat room, wherever it lives. The room is the actor of its
 * session: while it is live, every turn goes through it.
 */
export interface OrigchatActor {
  /** The turn as the live room played it; undefined when the session has no live room (or it is closing). */
  forward(sessionId: string, turn: ForwardedTurn): Promise<OrigchatTurnView | undefined>;
}

interface SessionRow {
  id: string;
  owner_id: string;
  story_id: string;
  character_id: string | null;
  mode: string;
  turn: number;
  pending_choices: OrigchatMeta["pending_choices"];
  last_idem_key: string | null;
  settings: Record<string, unknown>;
  meta: Record<string, unknown>;
  created_at: string | Date;
  story_deleted?: boolean;
}

/** A session row with its progress, over `chat_rooms r` (append LATEST_EVENT_JOIN to the FROM). */
const SESSION_COLUMNS = `r.id, r.owner_id, r.story_id, r.character_id, r.mode, r.settings, r.meta, r.created_at, ${ROOM_PROGRESS}`;

/**
 * Origchat: a user plays a story, optionally with a character, one
 * session per story and character unless asked for a new one (the latest is reused).
 * Its meta lives in presence for cheap reads (each turn invalidates it), with
 * the database row as the truth and the fallback.
 */
export class OrigchatService {
  constructor(
    private readonly db: Database,
    private readonly store: ChatStore,
    private readonly engine: TurnEngine,
    private readonly presence: Presence,
    /** Session metas by origchatMetaKey; each turn of a session invalidates its meta. */
    private readonly metas: VersionedCache,
    private readonly logger: Logger,
    private readonly actor?: OrigchatActor,
  ) {}

  async start(claims: AuthClaims, input: OrigchatStartInput): Promise<OrigchatStartView> {
    const forceNew = input.force_new === true || input.forceNew === true || input["force-new"] === true;
    const m = this.db.manager;
    const story = await findStory(m, input.story_id);
    if (!story.isPublic && !isOwnerOr(claims, story.ownerId, "admin")) throw forbidden("This story is private.");
    const characterId = input.character_id ? (await playableCharacter(m, claims, input.character_id)).id : null;

    if (!forceNew) {
      const cached = await this.cachedSessionOf(claims.userId, story.id, characterId);
      if (cached) return { session_id: cached.session_id, reused: true, mode: ORIGCHAT_MODE, meta: cached };
    }
    const { row, created } = await this.db.transaction(async (tx) => {
      if (!forceNew) {
        await lockStart(tx, claims.userId, "story", story.id, characterId);
        const [latest]: SessionRow[] = await tx.query(
          `SELECT ${SESSION_COLUMNS} FROM chat_rooms r ${LATEST_EVENT_JOIN}
           WHERE r.kind = 'origchat' AND r.owner_id = $1 AND r.story_id = $2 AND r.character_id IS NOT DISTINCT FROM $3
           ORDER BY r.created_at DESC LIMIT 1`,
          [claims.userId, story.id, characterId],
        );
        if (latest) return { row: latest, created: false };
      }
      const { id } = await this.store.createRoom(tx, {
        kind: "origchat",
        ownerId: claims.userId,
        characterId,
        storyId: story.id,
        meta: RUNTIME_DEFAULTS,
        settings: DEFAULT_SETTINGS,
      });
      const [fresh]: SessionRow[] = await tx.query(`SELECT ${SESSION_COLUMNS} FROM chat_rooms r ${LATEST_EVENT_JOIN} WHERE r.id = $1`, [id]);
      return { row: fresh!, created: true };
    });
    const meta = toMeta(row);
    if (created) await this.countStart(story.id);
    await this.remember(row.owner_id, meta);
    return { session_id: meta.session_id, reused: !created, mode: ORIGCHAT_MODE, meta };
  }

  /** A REST turn: played by the session's live room when there is one (wherever it lives), else here under the lock. */
  async turn(claims: AuthClaims, input: OrigchatTurnInput): Promise<OrigchatTurnView> {
    assertKnownSettings(input.settings_patch);
    await this.assertOwns(claims.userId, input.session_id);
    const turn: ForwardedTurn = { user_id: claims.userId, input: input.input, idempotency_key: input.idempotency_key, settings_patch: input.settings_patch };
    const forwarded = await this.actor?.forward(input.session_id, turn);
    if (forwarded) return forwarded;
    return toTurnView(await this.play(input.session_id, turn));
  }

  /** Plays one turn through the engine (the room does, and REST when no room is live). */
  async play(sessionId: string, turn: ForwardedTurn, hooks: TurnHooks = {}): Promise<TurnOutcome> {
    let outcome: TurnOutcome | undefined;
    try {
      outcome = await this.engine.play(
        {
          kind: "origchat",
          roomId: sessionId,
          userId: turn.user_id,
          input: turn.input,
          idempotencyKey: turn.idempotency_key,
          settingsPatch: turn.settings_patch,
        },
        hooks,
      );
      return outcome;
    } finally {
      // The cached meta no longer shows the session's turn; the next read takes it from the row.
      if (!outcome?.replayed) void this.metas.invalidate(origchatMetaKey(sessionId));
    }
  }

  /** The session with its latest events; its owner's only. */
  async session(claims: AuthClaims, sessionId: string): Promise<OrigchatSessionView> {
    const row = await this.row(sessionId);
    if (!row) throw notFound("session");
    if (row.owner_id !== claims.userId) throw forbidden("This session is not yours.");
    return { ...toMeta(row), events: await this.store.latestEvents(row.id, LATEST_EVENTS) };
  }

  /** Whether `claims` may join the session's room: 404 unknown, 403 someone else's, 410 its story deleted. */
  async assertJoinable(claims: AuthClaims, sessionId: string): Promise<{ story_id: string }> {
    const row = await this.row(sessionId);
    if (!row) throw notFound("session");
    if (row.owner_id !== claims.userId) throw forbidden("This session is not yours.");
    if (row.story_deleted) throw gone("story");
    return { story_id: row.story_id };
  }

  /** What a room shows of its session: meta and the latest events (404 once gone, 410 once its story is). */
  async snapshot(sessionId: string): Promise<OrigchatSessionView> {
    const row = await this.row(sessionId);
    if (!row) throw notFound("session");
    if (row.story_deleted) throw gone("story");
    return { ...toMeta(row), events: await this.store.latestEvents(row.id, LATEST_EVENTS) };
  }

  private async row(sessionId: string): Promise<SessionRow | undefined> {
    if (!isUuid(sessionId)) return undefined;
    const [row]: SessionRow[] = await this.db.manager.query(
      `SELECT ${SESSION_COLUMNS}, s.deleted_at IS NOT NULL AS story_deleted FROM chat_rooms r JOIN stories s ON s.id = r.story_id ${LATEST_EVENT_JOIN}
       WHERE r.id = $1 AND r.kind = 'origchat'`,
      [sessionId],
    );
    return row;
  }

  /** 404 or 403 unless the session is the caller's (its meta from presence, else from the row). */
  private async assertOwns(userId: string, sessionId: string): Promise<void> {
    const cached = await this.cachedMeta(sessionId);
    if (!cached) throw notFound("session");
    if (cached.owner_id !== userId) throw forbidden("This session is not yours.");
  }

  /** A session's meta and owner: from presence, else from the row (and cached again); null for none. */
  private async cachedMeta(sessionId: string): Promise<CachedMeta | null> {
    if (!isUuid(sessionId)) return null;
    const { value } = await this.metas.get<CachedMeta | null>(origchatMetaKey(sessionId), async () => {
      const row = await this.row(sessionId);
      return row ? { owner_id: row.owner_id, meta: toMeta(row) } : null;
    });
    return value;
  }

  /** The user's session on the story (and character), by the session presence remembers for it; undefined when it does not. */
  private async cachedSessionOf(userId: string, storyId: string, characterId: string | null): Promise<OrigchatMeta | undefined> {
    let sessionId: string | null | undefined;
    try {
      sessionId = (await this.presence.get(origchatSessionKey(userId, storyId, characterId))) as string | null | undefined;
    } catch (err) {
      this.logger.warn({ err, userId, storyId }, "origchat session not read from presence");
    }
    if (!sessionId) return undefined;
    const cached = await this.cachedMeta(sessionId);
    return cached && cached.owner_id === userId && cached.meta.story_id === storyId && cached.meta.character_id === characterId ? cached.meta : undefined;
  }

  /** Remembers the user's session on its story (and character), and its meta. Best effort: the rows are the truth. */
  private async remember(ownerId: string, meta: OrigchatMeta): Promise<void> {
    try {
      await this.presence.setex(origchatSessionKey(ownerId, meta.story_id, meta.character_id), meta.session_id, META_TTL_SECONDS);
    } catch (err) {
      this.logger.warn({ err, sessionId: meta.session_id }, "origchat session not remembered");
    }
    await this.metas.get<CachedMeta | null>(origchatMetaKey(meta.session_id), async () => ({ owner_id: ownerId, meta }));
  }

  /** The story's `chat_starts` (read by the stories code from the same key); a presence failure is logged, not fatal. */
  private async countStart(storyId: string): Promise<void> {
    try {
      await this.presence.incr(chatStartsKey(storyId));
    } catch (err) {
      this.logger.warn({ err, storyId }, "origchat start not counted");
    }
  }
}

function toMeta(row: SessionRow): OrigchatMeta {
  const meta = row.meta ?? {};
  return {
    session_id: row.id,
    story_id: row.story_id,
    character_id: row.character_id,
    mode: row.mode,
    turn: Number(row.turn),
    pending_choices: row.pending_choices ?? [],
    last_idem_key: row.last_idem_key,
    settings: effectiveSettings(row.settings),
    stats: (meta.stats ?? {}) as Record<string, number>,
    memos: (Array.isArray(meta.memos) ? meta.memos : []) as string[],
    created_at: new Date(row.created_at).toISOString(),
  };
}

export const toTurnView = (o: TurnOutcome): OrigchatTurnView => ({ turn: o.turn, events: o.events, pending_choices: o.pending_choices });
