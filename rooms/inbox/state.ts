import { Schema, type } from "@colyseus/schema";

export class InboxState extends Schema {
  @type("string") user_id = "";
  @type("uint32") unread_total = 0;
}
