import { MapSchema, Schema, type } from "@colyseus/schema";

export class Participant extends Schema {
  @type("string") user_id = "";
  @type("string") username = "";
  @type("boolean") online = false;
  @type("boolean") typing = false;
  @type("string") last_read_message_id = "";
}

export class DmChannelState extends Schema {
  @type("string") channel_id = "";
  @type({ map: Participant }) participants = new MapSchema<Participant>();
}
