import type { Client, Room } from "@colyseus/core";
import type { z } from "zod";
import { toFieldErrors } from "../../services/validation";
import type { Logger } from "../../infra/logger";
import { toErrorMessage } from "./errors";

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
      sendTo(client, "error", { code: "unknown_message", message: `Unknown message type "${String(type)}".` });
    });
  }

  on<S extends z.ZodType>(type: string, schema: S, handler: (client: C, message: z.output<S>) => unknown): this {
    this.room.onMessage(type, (client: C, raw: unknown) => {
      const parsed = schema.safeParse(raw ?? {});
      if (!parsed.success) {
        sendTo(client, "error", {
          code: "validation_failed",
          message: `Invalid "${type}" message.`,
          errors: toFieldErrors(parsed.error),
        });
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
    sendTo(client, "error", toErrorMessage(err, this.logger));
  }
}

/** Sends a message to one client whatever the room's declared message types. */
export function sendTo(client: Client, type: string, data: unknown): void {
  (client as unknown as { send(type: string, data: unknown): void }).send(type, data);
}
