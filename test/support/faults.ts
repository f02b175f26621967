import type { AuthContext } from "@colyseus/core";
import { z } from "zod";
import type { RoomType } from "../../arena.config";
import type { Mount } from "../../http";
import { createLogger } from "../../infra/logger";
import { authorizeJoin } from "../../rooms/shared/join";
import { MessageRouter } from "../../rooms/shared/messages";
import { TavernRoom } from "../../rooms/shared/room";
import type { TokenService } from "../../services/tokens";

const SECRET = "secret detail: SELECT * FROM users; at stack frame";

/** Routes that exist only in the test server, to observe how failures reach clients. */
export const faultMounts: Mount[] = [
  (r) =>
    r.add({ method: "get", path: "/__test/throw", tag: "test", summary: "Throws a plain error" }, () => {
      throw new Error(SECRET);
    }),
];

const FAULT_JOIN = { options: z.strictObject({ fail_in: z.enum(["onAuth", "onJoin", "none"]) }), keys: [] };

/** A room type that exists only in the test server: fails where the join asks it to. */
export const faultRoomTypes = ({ tokens }: { tokens: TokenService }): Record<string, RoomType> => ({
  __test_faulty: {
    join: FAULT_JOIN,
    room: class FaultyRoom extends TavernRoom {
      // It handles no message, and answers each with `error` like any room: the room fuzz suite relies on it.
      readonly router = new MessageRouter(this, createLogger("silent"));

      static onAuth(token: string, options: Record<string, unknown>, context: AuthContext) {
        return authorizeJoin(tokens, FAULT_JOIN, token, options, context, async (claims, parsed) => {
          if (parsed.fail_in === "onAuth") throw new Error(SECRET);
          return { key: {}, extra: { fail_in: parsed.fail_in }, auth: claims };
        });
      }

      onJoin(_client: unknown, options: { fail_in: string }) {
        if (options.fail_in === "onJoin") throw new TypeError(SECRET);
      }

      onUncaughtException() {
        // The failures are the point; the test asserts what the client sees.
      }
    },
  },
});
