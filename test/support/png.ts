import zlib from "node:zlib";

/**
 * PNG files built by the tests themselves, with a CRC-32 of their own (the table
 * algorithm of the PNG specification, annex D) rather than the one the product uses,
 * so that a wrong CRC in either shows.
 */

const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk as it sits in the file: length, type, data, CRC of type and data. */
export function chunk(type: string, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), typeof data === "string" ? Buffer.from(data, "latin1") : data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(body.length - 4, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), out.length - 4);
  return out;
}

export const text = (keyword: string, value: string) => chunk("tEXt", `${keyword}\u0000${value}`);

export const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64");

/** A 2×2 RGB image's chunks before IEND: IHDR and one IDAT. */
export function imageChunks(): Buffer[] {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(2, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return [chunk("IHDR", header), chunk("IDAT", zlib.deflateSync(rows))];
}

/** A whole PNG: signature, the image, then `extra` chunks, then IEND. */
export const png = (...extra: Buffer[]) => Buffer.concat([SIGNATURE, ...imageChunks(), ...extra, chunk("IEND")]);

export interface ReadChunk {
  type: string;
  data: Buffer;
  crcOk: boolean;
}

/** The chunks of a PNG file, read by the tests' own code. */
export function chunksOf(file: Buffer): ReadChunk[] {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG");
  const out: ReadChunk[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString("latin1", at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + length);
    out.push({ type, data, crcOk: crc32(file.subarray(at + 4, at + 8 + length)) === file.readUInt32BE(at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

/** The `tEXt` chunks of a PNG file as [keyword, text]. */
export const textsOf = (file: Buffer) =>
  chunksOf(file)
    .filter((c) => c.type === "tEXt")
    .map((c) => {
      const nul = c.data.indexOf(0);
      return [c.data.toString("latin1", 0, nul), c.data.toString("latin1", nul + 1)] as const;
    });

/** The card JSON in a PNG's `chara` chunk. */
export function charaOf(file: Buffer): any {
  const found = textsOf(file).find(([k]) => k === "chara");
  if (!found) throw new Error("no chara chunk");
  return JSON.parse(Buffer.from(found[1], "base64").toString("utf8"));
}
