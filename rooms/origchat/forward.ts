import crypto from "node:crypto";
import { matchMaker, type Presence } from "@colyseus/core";
import type { Logger } from "../../infra/logger";
import type { OrigchatTurnView } from "../../services/chat/schemas";
import type { ForwardedTurn, OrigchatActor } from "../../services/chat/origchat";
import { DomainError, type FieldError } from "../../services/errors";
import { keyedRoomId } from "../shared/join";

/**
 * REST turns of a session whose origchat room is live are played by that room, on
 * whichever process holds it: `matchMaker.remoteRoomCall` hands the turn to the room,
 * which queues it behind the turns already there and answers at once; the room
 * publishes the outcome on presence when the turn is played. A room that no longer
 * exists (it was disposed between the lookup and the call) is noticed within the short
 * accept timeout, and the turn is played under the lock instead; a turn the room
 * dropped unplayed while closing is played the same way.
 */

export const ORIGCHAT_ROOM = "origchat";
/** The origchat room's routing key (JoinRules.keys): the session id, written by the server. */
export const ORIGCHAT_KEYS = ["session_key"] as const;

/** The room id of a session's room: one room per session, on every process. */
export const origchatRoomId = (sessionId: string) => keyedRoomId(ORIGCHAT_ROOM, { session_key: sessionId }, ORIGCHAT_KEYS);

export const turnResultChannel = (ticket: string) => `origchat:turn-result:${ticket}`;

/** A domain error as it crosses processes (Colyseus's IPC keeps only an error's message). */
export interface WireError {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

export type AcceptAnswer = { status: "queued" } | { status: "closing" } | { status: "refused"; error: WireError };

export type TurnEnvelope = { ok: true; result: OrigchatTurnView } | { ok: false; error: WireError } | { ok: false; unplayed: true };

/** How long the room has to take a forwarded turn (Colyseus's own short IPC timeout). */
const ACCEPT_TIMEOUT_MS = 2000;

export function toWire(err: unknown, logger: Logger): WireError {
  if (err instanceof DomainError) return { status: err.status, code: err.code, detail: err.message, errors: err.errors, headers: err.headers };
  logger.error({ err }, "origchat turn failed");
  return { status: 500, code: "internal_error", detail: "Something went wrong on our side." };
}

const fromWire = (w: WireError) => new DomainError(w.status, w.code, w.detail, w.errors, w.headers);

const unavailable = () =>
  new DomainError(503, "session_unavailable", "The session's room did not answer in time; send the turn again (with the same idempotency_key).", undefined, {
    "Retry-After": "1",
  });

export class RoomTurnForwarder implements OrigchatActor {
  constructor(
    private readonly presence: Presence,
    /** How long a forwarded turn may take, waiting in the room's queue and generating. */
    private readonly resultTimeoutMs: number,
  ) {}

  async forward(sessionId: string, turn: ForwardedTurn): Promise<OrigchatTurnView | undefined> {
    const roomId = origchatRoomId(sessionId);
    if (!(await matchMaker.getRoomById(roomId))) return undefined;
    const ticket = crypto.randomUUID();
    const channel = turnResultChannel(ticket);
    let settle!: (envelope: TurnEnvelope) => void;
    const result = new Promise<TurnEnvelope>((resolve) => (settle = resolve));
    const onResult = (envelope: TurnEnvelope) => settle(envelope);
    await this.presence.subscribe(channel, onResult);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      let answer: AcceptAnswer;
      try {
        answer = (await matchMaker.remoteRoomCall(roomId, "acceptTurn", [ticket, turn], ACCEPT_TIMEOUT_MS)) as AcceptAnswer;
      } catch {
        // Nobody answered: a room still listed is alive but stuck; one no longer listed was disposed.
        if (await matchMaker.getRoomById(roomId)) throw unavailable();
        return undefined;
      }
      if (answer.status === "closing") return undefined;
      if (answer.status === "refused") throw fromWire(answer.error);
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.resultTimeoutMs)));
      const envelope = await Promise.race([result, timeout]);
      if (!envelope) throw unavailable();
      if (envelope.ok) return envelope.result;
      if ("unplayed" in envelope) return undefined;
      throw fromWire(envelope.error);
    } finally {
      clearTimeout(timer);
      this.presence.unsubscribe(channel, onResult);
    }
  }
}
