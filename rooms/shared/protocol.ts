import type { Schema } from "@colyseus/schema";
import type { JoinRules } from "./join";

/**
 * What a room type tells its clients, as its code declares it: how it is joined, the
 * names of the messages it registers (`in`) and sends (`out`), and its state's schema
 * classes. Each room class carries its own as `static protocol`; docs/realtime.md
 * documents every part of it, and a test holds the two together.
 */
export interface RoomProtocol {
  join: JoinRules;
  messages: { in: Readonly<Record<string, string>>; out: Readonly<Record<string, string>> };
  state: (typeof Schema)[];
}
