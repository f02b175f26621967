import type { Client, Room } from "@colyseus/core";
import type { z } from "zod";
import { parseInput } from "../../services/validation";
import type { Logger } from "../../infra/logger";
import { toErrorMessage } from "./errors";

/** The message every room answers a bad or refused message with: `{code, message, errors?, retry_after?}`. */
export const ERROR_MESSAGE = "error";

/**
 * The rooms' one message wrapper: parses with zod and answers an `error` message on a
 * bad payload or a failed rule, keeping the connection open (Colyseus's own
 * `validate()` would disconnect). Handlers may be async; nothing they throw escapes.
 */
export class MessageRouter<C extends Client = Client> {
  constructor(
    private readonly room: Room,
    private readonly logger: Logger,
  ) {
    room.onMessage("*", (client: Client, type: string | number) => {
      sendTo(client, ERROR_MESSAGE, { code: "unknown_message", message: `Unknown message type "${String(type).slice(0, 64)}".` });
    });
  }

  on<S extends z.ZodType>(type: string, schema: S, handler: (client: C, message: z.output<S>) => unknown): this {
    this.room.onMessage(type, (client: C, raw: unknown) => {
      const parsed = parseInput(schema, raw ?? {});
      if (!parsed.ok) {
        sendTo(client, ERROR_MESSAGE, { code: "validation_failed", message: `Invalid "${type}" message.`, errors: parsed.errors });
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

  private fail(client: Client, err: unknown) {
    sendTo(client, ERROR_MESSAGE, toErrorMessage(err, this.logger));
  }
}

/** Sends a message to one client whatever the room's declared message types. */
export function sendTo(client: Client, type: string, data: unknown): void {
  (client as unknown as { send(type: string, data: unknown): void }).send(type, data);
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
