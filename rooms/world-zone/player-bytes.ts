import { $changes, $refId, encode, OPERATION } from "@colyseus/schema";
import { Player } from "./state";

/**
 * The bytes Colyseus writes for the changes of a zone's players, which the zone writes
 * itself (interest.ts says why): a map entry's ADD and DELETE, a player's fields as an
 * ADD carries them, and a move. The SDK decodes them as an ordinary patch; the interest
 * tests decode them with the schema's own Decoder.
 */

/** Where the next byte goes, as @colyseus/schema's encoders take it. */
export interface Cursor {
  offset: number;
}

const SWITCH_TO_STRUCTURE = 255;
/** A move at most: switch (1), ref id (up to 9), x, y and seq (5 each); rounded up. */
export const MOVE_MAX = 32;
/** A map entry's DELETE at most: the operation and its index (up to 9). */
export const DELETE_MAX = 10;

type Encode = (bytes: Uint8Array, value: unknown, it: Cursor) => void;
type FieldMetadata = { name: string; index: number; type: string };

const PLAYER_FIELDS = Object.values((Player as unknown as Record<symbol, Record<string, FieldMetadata>>)[Symbol.metadata]!).filter(
  (f) => f && typeof f === "object" && typeof f.index === "number",
);

/** The wire index of a Player field, as Colyseus numbers them from the class's metadata. */
function fieldIndex(name: "x" | "y" | "seq"): number {
  const field = PLAYER_FIELDS.find((f) => f.name === name);
  if (!field) throw new Error(`Player has no field ${name}`);
  return field.index;
}

const FIELD = { x: fieldIndex("x"), y: fieldIndex("y"), seq: fieldIndex("seq") } as const;

/** Player's fields other than x, y and seq, with their encoders: set when the player is seated, then fixed. */
const FIXED_FIELDS = PLAYER_FIELDS.filter((f) => !["x", "y", "seq"].includes(f.name)).map((f) => {
  const fn = (encode as unknown as Record<string, Encode | undefined>)[f.type];
  if (!fn) throw new Error(`Player.${f.name} is not of a primitive type`);
  return { name: f.name, index: f.index, encode: fn };
});

/** A player's bytes that never change, encoded once when it joins the zone. */
export interface PlayerBytes {
  /** The player's index in the zone's map of players. */
  readonly mapIndex: number;
  /** The switch to that map, which every membership change starts with. */
  readonly mapSwitch: Uint8Array;
  /** The map entry's ADD: operation, index, key and the player's ref id. */
  readonly entry: Uint8Array;
  /** The switch to the player's structure and its fields that never change (all but x, y and seq), as an ADD writes them. */
  readonly fixedFields: Uint8Array;
}

/** The bytes `write` writes, given at most `room` of them. */
function encoded(room: number, write: (bytes: Uint8Array, it: Cursor) => void): Uint8Array {
  const bytes = new Uint8Array(room);
  const it = { offset: 0 };
  write(bytes, it);
  return bytes.slice(0, it.offset);
}

/** The fixed bytes of a player already in the zone's state (its ref id and map index are the encoder's). */
export function playerBytes(player: Player): PlayerBytes {
  const refId = (player as unknown as Record<symbol, number | undefined>)[$refId];
  const tree = (player as unknown as Record<symbol, { parent?: Record<symbol, number>; parentIndex?: number } | undefined>)[$changes];
  const mapRefId = tree?.parent?.[$refId];
  const mapIndex = tree?.parentIndex;
  if (refId === undefined || mapRefId === undefined || mapIndex === undefined) throw new Error("a member's player must be in the zone's state before it joins");
  const values = player as unknown as Record<string, unknown>;
  // Numbers take at most 9 bytes, strings a header of 5 and 3 bytes a UTF-16 unit.
  const strings = (names: string[]) => names.reduce((sum, name) => sum + 5 + 3 * String(values[name]).length, 0);
  return {
    mapIndex,
    mapSwitch: encoded(10, (bytes, it) => {
      bytes[it.offset++] = SWITCH_TO_STRUCTURE;
      encode.number(bytes, mapRefId, it);
    }),
    entry: encoded(19 + strings(["character_id"]), (bytes, it) => {
      bytes[it.offset++] = OPERATION.ADD;
      encode.number(bytes, mapIndex, it);
      encode.string(bytes, player.character_id, it);
      encode.number(bytes, refId, it);
    }),
    fixedFields: encoded(10 + FIXED_FIELDS.length * 10 + strings(FIXED_FIELDS.map((f) => f.name)), (bytes, it) => {
      bytes[it.offset++] = SWITCH_TO_STRUCTURE;
      encode.number(bytes, refId, it);
      for (const field of FIXED_FIELDS) {
        bytes[it.offset++] = OPERATION.ADD | field.index;
        field.encode(bytes, values[field.name], it);
      }
    }),
  };
}

/** A map entry's DELETE, after the map's switch. */
export function writeDelete(bytes: Uint8Array, mapIndex: number, it: Cursor): void {
  bytes[it.offset++] = OPERATION.DELETE;
  encode.number(bytes, mapIndex, it);
}

/** The fields that change, as an ADD writes them: after the player's `fixedFields`. */
export function writeLiveFields(bytes: Uint8Array, player: Player, it: Cursor): void {
  writePosition(bytes, player, it);
  writeSeq(bytes, player, it);
}

/** A move, laid out as Colyseus encodes a change of those fields: the switch to the player, then x and y. */
export function writeMove(bytes: Uint8Array, player: Player, it: Cursor): void {
  bytes[it.offset++] = SWITCH_TO_STRUCTURE;
  encode.number(bytes, (player as unknown as Record<symbol, number>)[$refId]!, it);
  writePosition(bytes, player, it);
}

/** The player's seq, which a move runs on into for the player's own client. */
export function writeSeq(bytes: Uint8Array, player: Player, it: Cursor): void {
  bytes[it.offset++] = OPERATION.ADD | FIELD.seq;
  encode.uint32(bytes, player.seq, it);
}

function writePosition(bytes: Uint8Array, player: Player, it: Cursor): void {
  bytes[it.offset++] = OPERATION.ADD | FIELD.x;
  encode.float32(bytes, player.x, it);
  bytes[it.offset++] = OPERATION.ADD | FIELD.y;
  encode.float32(bytes, player.y, it);
}
