import zlib from "node:zlib";

/**
 * PNG files as the PNG specification lays them out: an 8-byte signature, then chunks of
 * a 4-byte big-endian length, a 4-letter type, the data, and a CRC-32 of type and data.
 * Cards travel in `tEXt` chunks (a Latin-1 keyword, a NUL, Latin-1 text); the image
 * data itself is never decoded here, only carried.
 */

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_CHUNK_LENGTH = 0x7fffffff;

export interface Chunk {
  type: string;
  data: Buffer;
}

/** Why bytes are not a PNG file this module can carry; the message completes "The PNG …". */
export class PngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PngError";
  }
}

export const isPng = (file: Buffer) => file.length >= SIGNATURE.length && file.subarray(0, SIGNATURE.length).equals(SIGNATURE);

/** Every chunk up to IEND, in order, each checked against its CRC. Bytes after IEND are ignored, as decoders do. */
export function readChunks(file: Buffer): Chunk[] {
  if (!isPng(file)) throw new PngError("does not start with the PNG signature");
  const chunks: Chunk[] = [];
  let offset = SIGNATURE.length;
  while (chunks.at(-1)?.type !== "IEND") {
    if (offset + 12 > file.length) throw new PngError(`is truncated: it ends at byte ${file.length} without an IEND chunk`);
    const length = file.readUInt32BE(offset);
    if (length > MAX_CHUNK_LENGTH) throw new PngError(`has a chunk at byte ${offset} with an impossible length`);
    const type = file.toString("latin1", offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new PngError(`has a chunk at byte ${offset} whose type is not four letters`);
    const end = offset + 12 + length;
    if (end > file.length) throw new PngError(`is truncated: its ${type} chunk at byte ${offset} needs ${length} bytes of data`);
    const crc = file.readUInt32BE(end - 4);
    if (zlib.crc32(file.subarray(offset + 4, end - 4)) !== crc) throw new PngError(`has a ${type} chunk at byte ${offset} whose CRC does not match its contents`);
    chunks.push({ type, data: file.subarray(offset + 8, end - 4) });
    offset = end;
  }
  if (chunks[0]!.type !== "IHDR" || chunks[0]!.data.length !== 13) throw new PngError("does not begin with an IHDR chunk");
  if (!chunks.some((c) => c.type === "IDAT")) throw new PngError("has no image data (IDAT chunk)");
  return chunks;
}

export function writePng(chunks: Chunk[]): Buffer {
  const parts: Buffer[] = [SIGNATURE];
  for (const { type, data } of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))), 0);
    parts.push(head, data, crc);
  }
  return Buffer.concat(parts);
}

export function textChunk(keyword: string, text: string): Chunk {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`not a tEXt keyword: ${keyword}`);
  return { type: "tEXt", data: Buffer.concat([Buffer.from(keyword, "latin1"), Buffer.from([0]), Buffer.from(text, "latin1")]) };
}

/** The text of the first `tEXt` chunk whose keyword is `keyword` (any case, as card readers match it). */
export function findText(chunks: Chunk[], keyword: string): string | undefined {
  const wanted = keyword.toLowerCase();
  for (const chunk of chunks) {
    if (chunk.type !== "tEXt") continue;
    const nul = chunk.data.indexOf(0);
    if (nul < 1) continue;
    if (chunk.data.toString("latin1", 0, nul).toLowerCase() === wanted) return chunk.data.toString("latin1", nul + 1);
  }
  return undefined;
}

/**
 * Chunks that shape how the image looks: the critical ones (any chunk whose type starts
 * upper case, which a decoder may not skip), colour and transparency, physical size and
 * APNG animation. Everything else goes: text (an old card, comments), EXIF (a camera's
 * GPS position), timestamps, and chunks we do not know.
 */
const IMAGE_CHUNKS = new Set(["tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "mDCV", "cLLI", "bKGD", "hIST", "pHYs", "sPLT", "acTL", "fcTL", "fdAT"]);

/** The image alone: what a portrait keeps of a PNG. */
export function imageChunks(chunks: Chunk[]): Chunk[] {
  return chunks.filter((c) => /^[A-Z]/.test(c.type) || IMAGE_CHUNKS.has(c.type));
}

/** `image` (a PNG file) with `extra` chunks placed just before IEND. */
export function withChunks(image: Buffer, extra: Chunk[]): Buffer {
  const chunks = readChunks(image);
  return writePng([...chunks.slice(0, -1), ...extra, chunks.at(-1)!]);
}

const PLACEHOLDER = { width: 256, height: 384 };

/**
 * A portrait for a character without one: a vertical gradient between two colours
 * chosen by `seed` (the character id), so each character keeps its own.
 */
export function placeholderPng(seed: string): Buffer {
  const { width, height } = PLACEHOLDER;
  const hash = zlib.crc32(seed);
  const top = hsl((hash % 360) / 360, 0.45, 0.62);
  const bottom = hsl((((hash >>> 9) % 360) / 360 + 0.5) % 1, 0.5, 0.28);
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const t = y / (height - 1);
    const rgb = top.map((c, i) => Math.round(c + (bottom[i]! - c) * t));
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) rows.set(rgb, row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, adaptive filtering, no interlace
  return writePng([
    { type: "IHDR", data: header },
    { type: "IDAT", data: zlib.deflateSync(rows) },
    { type: "IEND", data: Buffer.alloc(0) },
  ]);
}

function hsl(h: number, s: number, l: number): number[] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
