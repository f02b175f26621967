import { ArraySchema, Schema, type } from "@colyseus/schema";

export class Choice extends Schema {
  @type("string") id = "";
  @type("string") label = "";
}

export class ChatEvent extends Schema {
  @type("string") id = "";
  @type("uint32") turn = 0;
  @type("string") role = "";
  @type("string") kind = "";
  @type("string") text = "";
  @type("string") created_at = "";
}

/** An origchat session as its clients see it: the choices on offer and the last 50 events. */
export class OrigChatState extends Schema {
  @type("string") session_id = "";
  @type("string") story_id = "";
  @type("string") character_id = "";
  @type("string") mode = "";
  @type("uint32") turn = 0;
  /** `idle`, or `generating` while a reply is written. */
  @type("string") status = "idle";
  @type([Choice]) pending_choices = new ArraySchema<Choice>();
  @type([ChatEvent]) events = new ArraySchema<ChatEvent>();
}
