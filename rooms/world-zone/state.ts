import { MapSchema, Schema, type, view } from "@colyseus/schema";

export class Player extends Schema {
  @type("string") character_id = "";
  @type("string") name = "";
  @type("string") class = "";
  @type("float32") x = 0;
  @type("float32") y = 0;
  @type("uint32") seq = 0;
}

/** Everyone sees everyone: one encoded patch is shared by every client of the zone. */
export class ZoneState extends Schema {
  @type("string") zone_id = "";
  @type("uint32") tick = 0;
  @type({ map: Player }) players = new MapSchema<Player>();
}

/**
 * The same shape with interest management: Colyseus's own encoding of `players` reaches
 * a client only through its StateView, which holds its own player; the others are
 * written by interest.ts. A separate class because a `@view()` field filters for every
 * client, and the broadcast zone must not pay for views it does not use.
 */
export class FilteredZoneState extends Schema {
  @type("string") zone_id = "";
  @type("uint32") tick = 0;
  @view() @type({ map: Player }) players = new MapSchema<Player>();
}

export type AnyZoneState = ZoneState | FilteredZoneState;
