import type { Client, Room } from "@colyseus/core";
import type { z } from "zod";
import type { Logger } from "../../infra/logger";
import { parseInput } from "../../services/validation";
import { toErrorMessage } from "./errors";

/** The message every room answers a bad or refused message with: `{code, message, errors?, retry_after?}`. */
export const ERROR_MESSAGE = "error";

/** Counts the rooms' messages by room type and message type, in and out. */
export interface MessageMeter {
  received(roomType: string, type: string): void;
  sent(roomType: string, type: string, recipients: number): void;
}

/**
 * A room's one message edge, both ways. In: parses with zod and answers an `error`
 * message on a bad payload or a failed rule, keeping the connection open (Colyseus's own
 * `validate()` would disconnect); handlers may be async and nothing they throw escapes.
 * Out: every message the room sends goes through `send`/`broadcast`, whatever the
 * room's declared message types. Both directions are counted by room type.
 */
export class MessageRouter<C extends Client = Client> {
  /** The message types this room handles, as registered (docs/realtime.md is checked against them). */
  readonly types: string[] = [];

  constructor(
    private readonly room: Room,
    private readonly logger: Logger,
    private readonly meter?: MessageMeter,
  ) {
    room.onMessage("*", (client: Client, type: string | number) => {
      this.meter?.received(room.roomName, "unknown");
      this.send(client, ERROR_MESSAGE, { code: "unknown_message", message: `Unknown message type "${String(type).slice(0, 64)}".` });
    });
  }

  on<S extends z.ZodType>(type: string, schema: S, handler: (client: C, message: z.output<S>) => unknown): this {
    this.types.push(type);
    this.room.onMessage(type, (client: C, raw: unknown) => {
      this.meter?.received(this.room.roomName, type);
      const parsed = parseInput(schema, raw ?? {});
      if (!parsed.ok) {
        this.send(client, ERROR_MESSAGE, { code: "validation_failed", message: `Invalid "${type}" message.`, errors: parsed.errors });
        return;
      }
      try {
        const result = handler(client, parsed.data);
        if (result instanceof Promise) result.catch((err) => this.fail(client, err));
      } catch (err) {
        this.fail(client, err);
      }
    });
    return this;
  }

  /** Sends a message to one client of the room. */
  send(client: Client, type: string, data: unknown): void {
    this.meter?.sent(this.room.roomName, type, 1);
    (client as unknown as { send(type: string, data: unknown): void }).send(type, data);
  }

  /** Sends a message to every client of the room, counted once per recipient. */
  broadcast(type: string, data: unknown): void {
    this.meter?.sent(this.room.roomName, type, this.room.clients.length);
    (this.room as unknown as { broadcast(type: string, data: unknown): void }).broadcast(type, data);
  }

  private fail(client: Client, err: unknown) {
    this.send(client, ERROR_MESSAGE, toErrorMessage(err, this.logger));
  }
}

/** Bytes a socket may hold unsent before a bulk sender waits for it. */
const SOCKET_HIGH_WATER = 1 << 20;

/** Resolves once the client's socket has sent most of what it was given (or has closed). */
export async function drained(client: Client): Promise<void> {
  const socket = (client as unknown as { ref?: { bufferedAmount?: number; readyState?: number } }).ref;
  while (socket && socket.readyState === 1 && (socket.bufferedAmount ?? 0) > SOCKET_HIGH_WATER) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
