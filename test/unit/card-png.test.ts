import assert from "node:assert/strict";
import zlib from "node:zlib";
import { findText, imageChunks, PngError, placeholderPng, readChunks, textChunk, withChunks, writePng } from "../../services/cards/png";
import { chunk, chunksOf, png, text, textsOf } from "../support/png";

describe("PNG chunks for character cards", () => {
  it("reads every chunk of a file the test built, and finds a tEXt chunk by keyword in any case", () => {
    const file = png(text("Comment", "hello"), text("Chara", "abc"));
    const chunks = readChunks(file);
    assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "tEXt", "tEXt", "IEND"]);
    assert.equal(findText(chunks, "chara"), "abc");
    assert.equal(findText(chunks, "comment"), "hello");
    assert.equal(findText(chunks, "ccv3"), undefined);
  });

  it("writes chunks whose layout and CRCs another implementation accepts", () => {
    const file = writePng([...readChunks(png()).slice(0, -1), textChunk("chara", "eyJhIjoxfQ=="), { type: "IEND", data: Buffer.alloc(0) }]);
    const chunks = chunksOf(file);
    assert.ok(chunks.every((c) => c.crcOk));
    assert.deepEqual(textsOf(file), [["chara", "eyJhIjoxfQ=="]]);
  });

  it("puts added chunks just before IEND", () => {
    const file = withChunks(png(), [textChunk("chara", "x")]);
    assert.deepEqual(chunksOf(file).map((c) => c.type), ["IHDR", "IDAT", "tEXt", "IEND"]);
  });

  describe("refuses what is not a whole, intact PNG, saying why", () => {
    const cases: [string, () => Buffer, RegExp][] = [
      ["no signature", () => Buffer.from('{"name":"x"}'), /signature/],
      ["an empty file", () => Buffer.alloc(0), /signature/],
      ["a file cut in the middle of a chunk", () => png(text("chara", "x".repeat(100))).subarray(0, 60), /truncated/],
      ["a file without IEND", () => { const f = png(); return f.subarray(0, f.length - 12); }, /truncated/],
      ["a wrong CRC", () => { const f = png(text("chara", "abc")); f[f.length - 13] ^= 0xff; return f; }, /CRC/],
      ["a chunk type that is not letters", () => Buffer.concat([png().subarray(0, 8), chunk("IH1R", Buffer.alloc(13))]), /four letters/],
      ["no IHDR first", () => Buffer.concat([png().subarray(0, 8), chunk("IDAT", Buffer.alloc(1)), chunk("IEND")]), /IHDR/],
      ["no image data", () => Buffer.concat([png().subarray(0, 8), chunk("IHDR", Buffer.alloc(13)), chunk("IEND")]), /IDAT/],
    ];
    for (const [what, file, reason] of cases) {
      it(what, () => {
        assert.throws(() => readChunks(file()), (err: unknown) => err instanceof PngError && reason.test(err.message));
      });
    }
  });

  it("a portrait keeps the image and its colour chunks, and drops text, EXIF, timestamps and unknown chunks", () => {
    const file = png(chunk("gAMA", Buffer.alloc(4)), chunk("tRNS", Buffer.alloc(6)), text("chara", "x"), chunk("zTXt", "k\u0000\u0000x"), chunk("eXIf", "MM"), chunk("tIME", Buffer.alloc(7)), chunk("prVt", "secret"));
    const kept = imageChunks(readChunks(file)).map((c) => c.type);
    assert.deepEqual(kept, ["IHDR", "IDAT", "gAMA", "tRNS", "IEND"]);
  });

  it("a placeholder is a valid 256×384 RGB image, the same for the same seed and different for another", () => {
    const a = placeholderPng("3f1c");
    const chunks = chunksOf(a);
    assert.ok(chunks.every((c) => c.crcOk));
    const ihdr = chunks[0]!;
    assert.equal(ihdr.type, "IHDR");
    assert.equal(ihdr.data.readUInt32BE(0), 256);
    assert.equal(ihdr.data.readUInt32BE(4), 384);
    const pixels = zlib.inflateSync(Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data)));
    assert.equal(pixels.length, 384 * (1 + 256 * 3));
    assert.deepEqual(placeholderPng("3f1c"), a);
    assert.notDeepEqual(placeholderPng("9a0b"), a);
  });
});
