import crypto from "node:crypto";
import type { Presence } from "@colyseus/core";
import type { ChatKind, StoredChoice } from "../../entities/chat.entity";
import type { Generator } from "../../infra/generator/generator";
import type { Logger } from "../../infra/logger";
import { conflict, forbidden, gone, notFound } from "../errors";
import { asProblem } from "../generator-errors";
import { foreignKeyViolation, isUuid, uniqueViolation } from "../sql";
import { buildReplyContext, NO_PERSONA, RECENT_TURN_EVENTS, type CharacterPersona } from "./context";
import type { ChoiceView, EventView, Settings, SettingsPatch, TurnInput } from "./schemas";
import type { TurnSerializer } from "./serial";
import { assertKnownSettings, effectiveSettings, patchValues } from "./settings";
import { pendingAfter, type ChatStore, type NewEvent, type StoredEvent, type TurnRoom } from "./store";
import type { WriteLimits } from "../../infra/write-limits";
import { spendWrite } from "../write-budget";

/** A turn as a caller asks for it, whichever edge it came through. */
export interface PlayRequest {
  kind: ChatKind;
  roomId: string;
  userId: string;
  input: TurnInput;
  /** Character chat: the character the client thinks it talks to (409 `character_mismatch` otherwise). */
  characterId?: string;
  idempotencyKey?: string;
  settingsPatch?: SettingsPatch;
}

export interface TurnHooks {
  /** The user's events of the turn are stored (committed); the reply is about to be generated. */
  onAccepted?: (turn: number, events: EventView[]) => void;
  /** A piece of the reply as the generator writes it. */
  onDelta?: (turn: number, text: string) => void;
  signal?: AbortSignal;
}

export interface TurnOutcome {
  turn: number;
  /** The turn's events: the user's, then the reply. */
  events: EventView[];
  pending_choices: ChoiceView[];
  settings: Settings;
  /** A repeated idempotency key: the stored response of the first call, and no new turn. */
  replayed: boolean;
}

/** Told how long each played turn took (metrics). */
export interface TurnClock {
  played(kind: ChatKind, seconds: number): void;
}

/** What an origchat room hears after each turn of its session, whichever edge played it. */
export interface TurnSignal {
  turn: number;
}

export const turnSignalChannel = (roomId: string) => `chat:room:${roomId}:turns`;

/** Bounds on what a generated choice may be: a model's answer is input like any other. */
const MAX_CHOICES = 6;
const MAX_CHOICE_LABEL = 200;

/** Times a turn is re-read when the room moved on since it was read (a stale cache entry, or past an expired lease). */
const MAX_ATTEMPTS = 3;

/** Rooms whose last turn this process remembers, so that their next turn need not read them again. */
const CACHED_ROOMS = 1000;

const resourceOf = (kind: ChatKind) => (kind === "character" ? "chat room" : "session");

/**
 * The one turn engine of character chat, origchat over REST and the origchat room. A
 * turn is serialised per room (TurnSerializer), then: read the room (or take what this
 * process's last turn of it left); check access, character, pending choices and the
 * idempotency key; store the user's input with the next turn number (committed before
 * anything is generated); build the runtime context and generate the reply, streaming
 * its pieces; store the reply and the choices it offers. A generator failure leaves the
 * turn without a reply (its input stays) and reaches the caller as a problem; a retry
 * with the same idempotency key generates that turn's reply again.
 */
export class TurnEngine {
  constructor(
    private readonly store: ChatStore,
    private readonly generator: Generator,
    private readonly serial: TurnSerializer,
    private readonly presence: Presence,
    private readonly logger: Logger,
    private readonly limits: WriteLimits,
    private readonly persona: CharacterPersona = NO_PERSONA,
    private readonly clock: TurnClock = { played: () => undefined },
  ) {}

  private readonly rooms = new RoomCache(CACHED_ROOMS);

  async play(req: PlayRequest, hooks: TurnHooks = {}): Promise<TurnOutcome> {
    assertKnownSettings(req.settingsPatch);
    if (!isUuid(req.roomId)) throw notFound(resourceOf(req.kind));
    // Every turn asks the generator for a reply, which may cost money: each user has a budget of them.
    await spendWrite(this.limits, "turn", req.userId);
    const started = performance.now();
    const outcome = await this.serial.run(req.roomId, () => this.playNow(req, hooks));
    this.clock.played(req.kind, (performance.now() - started) / 1000);
    return outcome;
  }

  private async playNow(req: PlayRequest, hooks: TurnHooks): Promise<TurnOutcome> {
    for (let attempt = 1; ; attempt++) {
      // What this process's last turn of the room left, if it remembers: taking the turn checks it is still so.
      const cached = attempt === 1 ? this.rooms.get(req.roomId) : undefined;
      const room = cached ?? (await this.store.roomForTurn(req.roomId, req.idempotencyKey, RECENT_TURN_EVENTS));
      let input;
      try {
        this.assertPlayable(room, req);
        if (room.idemTurn !== null) return await this.repeat(room, room.idemTurn, hooks);
        input = inputOf(room, req.input);
      } catch (err) {
        // Refusals are decided on what the database holds, never on a remembered room alone.
        if (!cached) throw err;
        this.rooms.delete(req.roomId);
        continue;
      }
      const event: NewEvent = { id: crypto.randomUUID(), ordinal: 0, role: "user", kind: req.input.type, text: input.text, created_at: new Date().toISOString() };
      const patch = patchValues(req.settingsPatch);
      let turn;
      try {
        turn = await this.store.beginTurn(room, { event, idempotencyKey: req.idempotencyKey, settingsPatch: patch });
      } catch (err) {
        // This turn number or key was taken since the room was read, or the room is gone: read it again.
        this.rooms.delete(req.roomId);
        if (!(uniqueViolation(err) || foreignKeyViolation(err)) || attempt >= MAX_ATTEMPTS) throw err;
        continue;
      }
      if (turn === undefined) {
        this.rooms.delete(req.roomId);
        if (attempt >= MAX_ATTEMPTS) throw conflict("turn_in_progress", "Another turn of this chat was played at the same time; try again.");
        continue;
      }
      const stored = [withTurn(event, turn)];
      hooks.onAccepted?.(turn, stored);
      return this.reply({ ...room, settings: { ...room.settings, ...patch } }, turn, stored, room.recent, input, hooks);
    }
  }

  /** 404, 403, 410 and 409 `character_mismatch`, in that order. */
  private assertPlayable(room: TurnRoom | undefined, req: PlayRequest): asserts room is TurnRoom {
    if (!room || room.kind !== req.kind) throw notFound(resourceOf(req.kind));
    if (room.ownerId !== req.userId) throw forbidden(`This ${resourceOf(req.kind)} is not yours.`);
    if (room.story?.deleted) throw gone("story");
    if (req.kind === "character" && req.characterId !== room.characterId) {
      throw conflict("character_mismatch", "This chat room is with another character.");
    }
  }

  /**
   * A known idempotency key: the response of the first call, rebuilt from its stored
   * turn; or, when that turn has no reply (its generation failed, or its process died:
   * turns are serialised, so none is still being generated), its reply generated again.
   */
  private async repeat(room: TurnRoom, turn: number, hooks: TurnHooks): Promise<TurnOutcome> {
    const events = await this.store.turnEvents(room.id, turn);
    const reply = events.find((e) => e.kind === "reply");
    if (reply) return { turn, events: events.map(viewOf), pending_choices: reply.choices ?? [], settings: effectiveSettings(room.settings), replayed: true };
    if (turn !== room.turn) throw conflict("turn_failed", "The turn sent with this idempotency key failed and later turns were played since; send a new one.");
    const inputs = events.map(viewOf);
    hooks.onAccepted?.(turn, inputs);
    const type = (inputs[0]?.kind ?? "text") as TurnInput["type"];
    const before = room.recent.filter((e) => e.turn < turn);
    return this.reply({ ...room, pendingChoices: pendingAfter(before.at(-1)) }, turn, inputs, before, { type, text: inputs.map((e) => e.text).join("\n") }, hooks);
  }

  /** Generates and stores the reply of `turn`, whose inputs are stored; `room` is as it was before the turn. */
  private async reply(
    room: TurnRoom,
    turn: number,
    inputs: EventView[],
    recent: StoredEvent[],
    input: { type: TurnInput["type"]; text: string },
    hooks: TurnHooks,
  ): Promise<TurnOutcome> {
    const settings = effectiveSettings(room.settings);
    const context = buildReplyContext(
      { kind: room.kind, character: room.character, story: room.story, openingId: room.openingId, meta: room.meta, settings, recent, input, pendingChoices: room.pendingChoices },
      this.persona,
    );
    let generated;
    try {
      generated = await this.generator.reply(context, { signal: hooks.signal, onDelta: hooks.onDelta && ((text) => hooks.onDelta!(turn, text)) });
    } catch (err) {
      // The turn stays, without a reply: its input is kept, and a retry with its key generates it again.
      this.rooms.delete(room.id);
      this.announce(room, turn);
      throw asProblem(err);
    }
    const reply: NewEvent = {
      id: crypto.randomUUID(),
      ordinal: inputs.length,
      role: room.kind === "origchat" && !room.character ? "narrator" : "character",
      kind: "reply",
      text: generated.text,
      created_at: new Date().toISOString(),
    };
    const choices = room.kind === "origchat" ? cleanChoices(generated.choices) : [];
    try {
      await this.store.completeTurn(room.id, turn, reply, choices);
    } catch (err) {
      this.rooms.delete(room.id);
      // The room was deleted (its character, story or owner) while the reply was written.
      if (foreignKeyViolation(err)) throw notFound(resourceOf(room.kind));
      throw err;
    }
    const events = [...inputs, withTurn(reply, turn)];
    this.rooms.set(room.id, {
      ...room,
      turn,
      pendingChoices: choices,
      idemTurn: null,
      recent: [...recent, ...events.map((e) => ({ ...e, choices: e.id === reply.id ? choices : null }))].slice(-RECENT_TURN_EVENTS),
    });
    this.announce(room, turn);
    return { turn, events, pending_choices: choices, settings, replayed: false };
  }

  /** Tells a live origchat room about a turn it may not have played itself (after commit; best effort). */
  private announce(room: TurnRoom, turn: number) {
    if (room.kind !== "origchat") return;
    try {
      const signal: TurnSignal = { turn };
      void Promise.resolve(this.presence.publish(turnSignalChannel(room.id), signal)).catch((err: unknown) =>
        this.logger.warn({ err, roomId: room.id }, "turn signal not published"),
      );
    } catch (err) {
      this.logger.warn({ err, roomId: room.id }, "turn signal not published");
    }
  }
}

/** The input as the turn's text: a choice must be one of those pending, and its label is the text. */
function inputOf(room: TurnRoom, input: TurnInput): { type: TurnInput["type"]; text: string } {
  if (input.type !== "choice") return { type: input.type, text: input.text };
  if (room.pendingChoices.length === 0) throw conflict("no_pending_choice", "There is no choice to make right now.");
  const chosen = room.pendingChoices.find((c) => c.id === input.choice_id);
  if (!chosen) throw conflict("invalid_choice", "choice_id is not one of the pending choices.");
  return { type: "choice", text: chosen.label };
}

const withTurn = (e: NewEvent, turn: number): EventView => ({ id: e.id, turn, role: e.role, kind: e.kind, text: e.text, created_at: e.created_at });

const viewOf = (e: StoredEvent): EventView => ({ id: e.id, turn: e.turn, role: e.role, kind: e.kind, text: e.text, created_at: e.created_at });

function cleanChoices(choices: StoredChoice[]): StoredChoice[] {
  const seen = new Set<string>();
  const out: StoredChoice[] = [];
  for (const c of choices) {
    const id = String(c.id).slice(0, 64);
    const label = String(c.label).trim().slice(0, MAX_CHOICE_LABEL);
    if (!id || !label || seen.has(id)) continue;
    seen.add(id);
    out.push({ id, label });
    if (out.length === MAX_CHOICES) break;
  }
  return out;
}

/** The rooms whose last turn this process played, least recently played dropped first. */
class RoomCache {
  private readonly rooms = new Map<string, TurnRoom>();

  constructor(private readonly capacity: number) {}

  get(id: string): TurnRoom | undefined {
    return this.rooms.get(id);
  }

  set(id: string, room: TurnRoom): void {
    this.rooms.delete(id);
    this.rooms.set(id, room);
    if (this.rooms.size > this.capacity) this.rooms.delete(this.rooms.keys().next().value!);
  }

  delete(id: string): void {
    this.rooms.delete(id);
  }
}
