import type { AuthContext, Client } from "@colyseus/core";
import { z } from "zod";
import type { Config } from "../../config";
import type { Logger } from "../../infra/logger";
import { turnSignalChannel, type TurnOutcome, type TurnSignal } from "../../services/chat/engine";
import { toTurnView, type ForwardedTurn, type OrigchatService } from "../../services/chat/origchat";
import { idempotencyKey, settingsPatch, turnInput, type EventView, type OrigchatSessionView } from "../../services/chat/schemas";
import { turnBusy } from "../../services/chat/serial";
import { DomainError } from "../../services/errors";
import { storyDeletedChannel } from "../../services/stories/access";
import type { AuthClaims, TokenService } from "../../services/tokens";
import { toErrorMessage } from "../shared/errors";
import { authorizeJoin, keyedRoomId, type JoinRules } from "../shared/join";
import { ERROR_MESSAGE, MessageRouter, type MessageMeter } from "../shared/messages";
import type { RoomProtocol } from "../shared/protocol";
import { TavernRoom } from "../shared/room";
import { ORIGCHAT_KEYS, toWire, turnResultChannel, type AcceptAnswer, type TurnEnvelope } from "./forward";
import { ChatEvent, Choice, OrigChatState } from "./state";

export { ORIGCHAT_ROOM } from "./forward";

/** A live connection whose session's story was deleted (docs/realtime.md). */
export const CLOSE_STORY_DELETED = 4410;

/** Events the state keeps (docs/realtime.md). */
const STATE_EVENTS = 50;

/** Turns waiting in one room beyond which another is refused (409 `turn_in_progress`). */
const MAX_QUEUED_TURNS = 32;

export const ORIGCHAT_JOIN = {
  // A malformed id names no session: the room answers 404 for it, as for an unknown one.
  options: z.strictObject({ session_id: z.string().min(1).max(64) }),
  keys: ORIGCHAT_KEYS,
  owned: ["story_id"],
} satisfies JoinRules;

/**
 * The origchat room's messages by direction, under the names the room registers and
 * sends (docs/realtime.md documents each; a test holds the two together).
 */
export const ORIGCHAT_MESSAGES = {
  in: { turn: "turn" },
  out: { delta: "delta", turnResult: "turn_result", error: ERROR_MESSAGE },
} as const;
const { in: IN, out: OUT } = ORIGCHAT_MESSAGES;

const turnMessage = z.strictObject({ input: turnInput, idempotency_key: idempotencyKey.optional(), settings_patch: settingsPatch.optional() });

export interface OrigchatDeps {
  tokens: TokenService;
  origchat: OrigchatService;
  logger: Logger;
  meter?: MessageMeter;
  config: Pick<Config, "WS_MAX_MESSAGES_PER_SECOND">;
}

/** What `onAuth` resolved for `onCreate`. */
interface ResolvedOptions {
  session_key: string;
  story_id: string;
}

type OrigchatClient = Client<{ auth: AuthClaims }>;

/** Who is waiting for a turn: a client of this room, or a REST request anywhere (by ticket). */
type Origin = { client: OrigchatClient } | { ticket: string };

/**
 * The actor of one origchat session: its clients' turns and the REST turns forwarded to
 * it (RoomTurnForwarder) are played one at a time in arrival order, each streaming
 * `delta` messages to every client while the reply is written and ending with
 * `turn_result` to its sender; the state shows the pending choices and the last 50
 * events. While turns are queued the room stays alive, so none is dropped by an empty
 * room's disposal.
 */
export function createOrigchatRoom(deps: OrigchatDeps) {
  const { origchat, logger } = deps;

  return class OrigchatRoom extends TavernRoom<{ state: OrigChatState; client: OrigchatClient }> {
    static readonly protocol: RoomProtocol = { join: ORIGCHAT_JOIN, messages: ORIGCHAT_MESSAGES, state: [OrigChatState, Choice, ChatEvent] };

    static onAuth(token: string, options: Record<string, unknown>, context: AuthContext): Promise<AuthClaims> {
      return authorizeJoin(deps.tokens, ORIGCHAT_JOIN, token, options, context, async (claims, { session_id }) => {
        const { story_id } = await origchat.assertJoinable(claims, session_id);
        return { key: { session_key: session_id }, extra: { story_id }, auth: claims };
      });
    }

    private sessionId = "";
    private queued = 0;
    private closing = false;
    /** Reply text generated since the last `delta` went out: pieces written in one tick leave as one message. */
    private unsent: { turn: number; text: string } | undefined;
    /** Aborts the reply being generated when the room goes away (shutdown). */
    private readonly stop = new AbortController();
    /** The room's work in arrival order: turns, and re-reads of the session after turns played elsewhere. */
    private tail: Promise<void> = Promise.resolve();
    private readonly router = new MessageRouter<OrigchatClient>(this, logger, deps.meter);
    /** The ids of the events in the state (reading them back through the schema's proxies costs more than keeping them). */
    private readonly shown = new Set<string>();

    async onCreate(options: ResolvedOptions) {
      this.roomId = keyedRoomId(this.roomName, options, ORIGCHAT_JOIN.keys);
      this.maxMessagesPerSecond = deps.config.WS_MAX_MESSAGES_PER_SECOND;
      this.sessionId = options.session_key;
      // The state changes only with turns: each change is sent as it happens, and an idle room costs no patch ticks.
      this.patchRate = null;
      this.setState(new OrigChatState());
      // Subscribed before the snapshot, which refuses a story deleted before then: none is missed.
      await this.presence.subscribe(storyDeletedChannel(options.story_id), () => this.closeForDeletedStory());
      await this.presence.subscribe(turnSignalChannel(this.sessionId), (signal: TurnSignal) => this.onSignal(signal));
      this.show(await origchat.snapshot(this.sessionId));

      this.router.on(IN.turn, turnMessage, (client, msg) => {
        const turn: ForwardedTurn = { user_id: client.auth!.userId, input: msg.input, idempotency_key: msg.idempotency_key, settings_patch: msg.settings_patch };
        const refused = this.enqueue({ client }, turn);
        if (refused) throw refused;
      });
    }

    /** A REST turn, from any process (RoomTurnForwarder via matchMaker.remoteRoomCall): queued, answered by ticket. */
    acceptTurn(ticket: string, turn: ForwardedTurn): AcceptAnswer {
      if (this.closing) return { status: "closing" };
      const refused = this.enqueue({ ticket }, turn);
      return refused ? { status: "refused", error: toWire(refused, logger) } : { status: "queued" };
    }

    onUncaughtException(err: Error, method: string) {
      logger.error({ err, method, room: this.roomId }, "origchat room error");
    }

    /** Turns still queued are handed back unplayed (REST plays them under the lock); the one generating is cancelled. */
    onDispose() {
      this.closing = true;
      this.stop.abort();
      return this.inOrder(async () => undefined);
    }

    /** Runs `task` after every task queued before it; a failure is logged and does not stop the queue. */
    private inOrder(task: () => Promise<void>): Promise<void> {
      this.tail = this.tail.then(task).catch((err: unknown) => logger.error({ err, room: this.roomId }, "origchat room task failed"));
      return this.tail;
    }

    /** Queues a turn; returns the refusal when too many are waiting. */
    private enqueue(origin: Origin, turn: ForwardedTurn): DomainError | undefined {
      if (this.queued >= MAX_QUEUED_TURNS) return turnBusy();
      this.queued++;
      this.autoDispose = false;
      void this.inOrder(async () => {
        try {
          if (this.closing) return this.answerUnplayed(origin);
          const outcome = await origchat.play(this.sessionId, turn, {
            signal: this.stop.signal,
            onAccepted: (number, events) => {
              this.state.status = "generating";
              this.state.turn = number;
              this.state.pending_choices.clear();
              this.append(events);
              this.broadcastPatch();
            },
            onDelta: (number, text) => this.stream(number, text),
          });
          this.flushDelta();
          if (!outcome.replayed) this.applyOutcome(outcome);
          this.settle();
          this.answer(origin, { ok: true, result: toTurnView(outcome) });
        } catch (err) {
          this.flushDelta();
          this.settle();
          this.answer(origin, { ok: false, error: toWire(err, logger) });
        } finally {
          if (--this.queued === 0 && !this.closing) this.autoDispose = true;
        }
      });
      return undefined;
    }

    /** The turn is over: the state goes out with it, before its result. */
    private settle() {
      this.state.status = "idle";
      this.broadcastPatch();
    }

    /** Buffers a piece of the reply until the end of the tick (the generator may write many in one). */
    private stream(turn: number, text: string) {
      if (this.unsent) {
        this.unsent.text += text;
        return;
      }
      this.unsent = { turn, text };
      setImmediate(() => this.flushDelta());
    }

    private flushDelta() {
      const unsent = this.unsent;
      this.unsent = undefined;
      if (unsent) this.router.broadcast(OUT.delta, unsent);
    }

    private answer(origin: Origin, envelope: TurnEnvelope) {
      if ("ticket" in origin) {
        void Promise.resolve(this.presence.publish(turnResultChannel(origin.ticket), envelope)).catch((err: unknown) =>
          logger.error({ err, room: this.roomId }, "forwarded turn result not published"),
        );
      } else if (envelope.ok) {
        this.router.send(origin.client, OUT.turnResult, envelope.result);
      } else if (!("unplayed" in envelope)) {
        const { status, code, detail, errors, headers } = envelope.error;
        this.router.send(origin.client, OUT.error, toErrorMessage(new DomainError(status, code, detail, errors, headers), logger));
      }
    }

    private answerUnplayed(origin: Origin) {
      if ("ticket" in origin) this.answer(origin, { ok: false, unplayed: true });
    }

    private applyOutcome(outcome: TurnOutcome) {
      if (outcome.turn < this.state.turn) return;
      this.state.turn = outcome.turn;
      this.append(outcome.events);
      this.state.pending_choices.clear();
      for (const c of outcome.pending_choices) this.state.pending_choices.push(new Choice().assign(c));
    }

    /** Appends the events the state does not show yet, keeping the last STATE_EVENTS. */
    private append(events: EventView[]) {
      for (const e of events) {
        if (this.shown.has(e.id)) continue;
        this.shown.add(e.id);
        this.state.events.push(new ChatEvent().assign(e));
      }
      while (this.state.events.length > STATE_EVENTS) this.shown.delete(this.state.events.shift()!.id);
    }

    private show(session: OrigchatSessionView) {
      const s = this.state;
      s.session_id = session.session_id;
      s.story_id = session.story_id;
      s.character_id = session.character_id ?? "";
      s.mode = session.mode;
      s.turn = session.turn;
      s.pending_choices.clear();
      for (const c of session.pending_choices) s.pending_choices.push(new Choice().assign(c));
      s.events.clear();
      this.shown.clear();
      this.append(session.events);
    }

    /** A turn this room did not play (REST under the lock, racing this room's creation): read the session again. */
    private onSignal(signal: TurnSignal) {
      void this.inOrder(async () => {
        if (signal.turn <= this.state.turn) return;
        try {
          this.show(await origchat.snapshot(this.sessionId));
          this.broadcastPatch();
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
        }
      });
    }

    private closeForDeletedStory() {
      for (const client of this.clients) client.leave(CLOSE_STORY_DELETED, "the story was deleted");
    }
  };
}
