import type { Client, Room } from "@colyseus/core";
import type { z } from "zod";
import { toFieldErrors } from "../../services/validation";
import type { Logger } from "../../infra/logger";
import { toErrorMessage } from "./errors";

/** Counts the rooms' messages by room type and message type, in and out. */
export interface MessageMeter {
  received(roomType: string, type: string): void;
  sent(roomType: string, type: string, recipients: number): void;
}

let meter: MessageMeter | undefined;

/** Where the rooms' message edge counts; the composition root sets it once (rooms, like it, are per process). */
export function meterRoomMessages(m: MessageMeter | undefined): void {
  meter = m;
}

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
      meter?.received(room.roomName, "unknown");
      sendTo(room, client, "error", { code: "unknown_message", message: `Unknown message type "${String(type)}".` });
    });
  }

  on<S extends z.ZodType>(type: string, schema: S, handler: (client: C, message: z.output<S>) => unknown): this {
    this.room.onMessage(type, (client: C, raw: unknown) => {
      meter?.received(this.room.roomName, type);
      const parsed = schema.safeParse(raw ?? {});
      if (!parsed.success) {
        sendTo(this.room, client, "error", {
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
    sendTo(this.room, client, "error", toErrorMessage(err, this.logger));
  }
}

/** Sends a message from `room` to one of its clients whatever the room's declared message types, and counts it. */
export function sendTo(room: Room, client: Client, type: string, data: unknown): void {
  meter?.sent(room.roomName, type, 1);
  (client as unknown as { send(type: string, data: unknown): void }).send(type, data);
}

/** Sends a message to every client of `room`, counted once per recipient. */
export function broadcast(room: Room, type: string, data: unknown): void {
  meter?.sent(room.roomName, type, room.clients.length);
  (room as unknown as { broadcast(type: string, data: unknown): void }).broadcast(type, data);
}
