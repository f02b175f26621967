import assert from "node:assert/strict";
import { keyAppears, selectLore } from "../../services/cards/lore";

type Entry = Record<string, unknown>;
const entry = (over: Entry): Entry => ({ keys: [], content: "lore", extensions: {}, enabled: true, insertion_order: 0, ...over });
const book = (entries: (Entry | null)[], over: Entry = {}) => ({ extensions: {}, entries, ...over });
const ids = (b: unknown, messages: string[], limits?: { scanDepth: number; maxTokens: number }) => selectLore(b, messages, limits).map((e) => e.id);

describe("character book lore", () => {
  describe("keys", () => {
    it("an entry goes in when any of its keys appears in the recent messages, and not otherwise", () => {
      const b = book([entry({ id: 1, keys: ["dragon", "wyrm"], content: "Dragons sleep on gold." }), entry({ id: 2, keys: ["mill"], content: "The mill burned." })]);
      assert.deepEqual(ids(b, ["Tell me about the wyrm"]), ["1"]);
      assert.deepEqual(ids(b, ["nothing here"]), []);
    });

    it("keys match in any case unless the entry is case_sensitive", () => {
      const b = book([entry({ id: 1, keys: ["Dragon"] }), entry({ id: 2, keys: ["Dragon"], case_sensitive: true })]);
      assert.deepEqual(ids(b, ["a DRAGON!"]), ["1"]);
      assert.deepEqual(ids(b, ["a Dragon!"]), ["1", "2"]);
    });

    it("a key matches a whole word in spaced scripts, inside text in unspaced ones, and literally", () => {
      assert.equal(keyAppears("cat", "the category", false), false);
      assert.equal(keyAppears("cat", "the cat's tail", false), true);
      assert.equal(keyAppears("Élise", "hello élise.", false), true);
      assert.equal(keyAppears("王都", "我们去王都吧", false), true);
      assert.equal(keyAppears("철수", "철수가 왔다", false), true);
      assert.equal(keyAppears("C++", "I write C++ daily", false), true);
      assert.equal(keyAppears("a.b", "axb", false), false);
      assert.equal(keyAppears("(x", "call (x now", false), true);
      assert.equal(keyAppears("Old Mill", "by the old mill.", false), true);
      assert.equal(keyAppears("old mill", "the old millstone", false), false);
      assert.equal(keyAppears("old mill", "the old mill, the old millstone", false), true, "a later occurrence counts");
      assert.equal(keyAppears("mill", "the millstone and the mill_race", false), false, "_ joins words");
      assert.equal(keyAppears("𝔄rk", "an 𝔄rk!", true), true, "astral characters");
    });

    it("blank keys never match; keys are trimmed", () => {
      const b = book([entry({ id: 1, keys: ["", "  "] }), entry({ id: 2, keys: [" tower "] })]);
      assert.deepEqual(ids(b, ["the tower stands"]), ["2"]);
    });
  });

  describe("selective, constant, enabled", () => {
    it("selective needs a primary and a secondary key; without selective the secondary keys are ignored", () => {
      const b = book([
        entry({ id: "sel", keys: ["king"], secondary_keys: ["crown"], selective: true }),
        entry({ id: "plain", keys: ["king"], secondary_keys: ["crown"], selective: false }),
        entry({ id: "empty", keys: ["king"], secondary_keys: [], selective: true }),
      ]);
      assert.deepEqual(ids(b, ["the king"]), ["plain", "empty"]);
      assert.deepEqual(ids(b, ["the king lost his crown"]), ["sel", "plain", "empty"]);
      assert.deepEqual(ids(b, ["a crown"]), []);
    });

    it("a constant entry is always in; a disabled one never, even constant or matched", () => {
      const b = book([entry({ id: "c", constant: true }), entry({ id: "off", keys: ["x"], constant: true, enabled: false }), entry({ id: "off2", keys: ["x"], enabled: false })]);
      assert.deepEqual(ids(b, ["x"]), ["c"]);
      assert.deepEqual(ids(b, []), ["c"]);
    });

    it("an entry with empty content is never added", () => {
      assert.deepEqual(ids(book([entry({ id: 1, constant: true, content: "  " }), entry({ id: 2, keys: ["x"], content: "" })]), ["x"]), []);
    });

    it("use_regex entries (V3) never match: patterns from a card are not run", () => {
      const b = book([entry({ id: 1, keys: ["dra.on"], use_regex: true }), entry({ id: 2, keys: ["dragon"], use_regex: true, constant: true })]);
      assert.deepEqual(ids(b, ["dragon"]), []);
    });
  });

  describe("order, depth and budget", () => {
    it("entries come in insertion_order, lower first, then in book order", () => {
      const b = book([entry({ id: "a", keys: ["x"], insertion_order: 10 }), entry({ id: "b", keys: ["x"], insertion_order: 1 }), entry({ id: "c", constant: true, insertion_order: 10 }), entry({ id: "d", keys: ["x"], insertion_order: 5 })]);
      assert.deepEqual(ids(b, ["x"]), ["b", "d", "a", "c"]);
    });

    it("only the last scan_depth messages are scanned: the book's, else the caller's default", () => {
      const b = book([entry({ id: "old", keys: ["ancient"] })]);
      const messages = ["ancient history", "one", "two", "three"];
      assert.deepEqual(ids(b, messages, { scanDepth: 4, maxTokens: 1000 }), ["old"]);
      assert.deepEqual(ids(b, messages, { scanDepth: 3, maxTokens: 1000 }), []);
      assert.deepEqual(ids(book(b.entries, { scan_depth: 1 }), ["ancient", "now"]), []);
      assert.deepEqual(ids(book(b.entries, { scan_depth: 2 }), ["ancient", "now"]), ["old"]);
      assert.deepEqual(ids(book(b.entries, { scan_depth: 0 }), ["ancient"]), ["old"], "0 is unset");
    });

    it("over the token budget, lower priorities are left out first (insertion_order stands in for a missing priority)", () => {
      const forty = "x".repeat(160); // 40 tokens at 4 characters a token
      const b = book(
        [
          entry({ id: "low", constant: true, priority: 1, content: forty, insertion_order: 1 }),
          entry({ id: "high", constant: true, priority: 9, content: forty, insertion_order: 2 }),
          entry({ id: "mid", constant: true, content: forty, insertion_order: 5 }),
        ],
        { token_budget: 80 },
      );
      assert.deepEqual(ids(b, []), ["high", "mid"]);
      assert.deepEqual(ids(book(b.entries), [], { scanDepth: 4, maxTokens: 40 }), ["high"], "the caller's cap holds whatever the book says");
      assert.deepEqual(ids(book(b.entries, { token_budget: 1000 }), [], { scanDepth: 4, maxTokens: 100_000 }), ["low", "high", "mid"]);
    });

    it("with recursive_scanning, an entry's content can bring in another; without, it cannot", () => {
      const entries = [entry({ id: "a", keys: ["castle"], content: "The castle belongs to the Duke." }), entry({ id: "b", keys: ["duke"], content: "The Duke is old." })];
      assert.deepEqual(ids(book(entries), ["the castle"]), ["a"]);
      assert.deepEqual(ids(book(entries, { recursive_scanning: true }), ["the castle"]), ["a", "b"]);
    });
  });

  describe("what it returns and tolerates", () => {
    it("entries carry an id (the book's when unique, else their position), a name, the keys and the content without V3 decorators", () => {
      const b = book([
        entry({ id: 7, name: "The Mill", keys: ["mill"], content: "@@depth 4\n@@@instruct_depth 4\n\nThe mill burned down." }),
        entry({ id: 7, keys: ["mill"], content: "Millers." }),
        entry({ keys: ["mill"], content: "Flour." }),
      ]);
      assert.deepEqual(selectLore(b, ["the mill"]), [
        { id: "entry-0", name: "The Mill", keys: ["mill"], content: "The mill burned down." },
        { id: "entry-1", name: "mill", keys: ["mill"], content: "Millers." },
        { id: "entry-2", name: "mill", keys: ["mill"], content: "Flour." },
      ]);
      assert.deepEqual(ids(book([entry({ id: 3, keys: ["a"] })]), ["a"]), ["3"]);
    });

    it("no book, a malformed book, or a malformed entry contribute nothing and throw nothing", () => {
      for (const b of [undefined, null, "book", [], {}, { entries: "x" }]) assert.deepEqual(selectLore(b, ["x"]), []);
      const b = book([entry({ id: 1, keys: "x" }), entry({ id: 2, keys: ["x"], insertion_order: "first" }), null, entry({ id: 4, keys: ["x"] })]);
      assert.deepEqual(ids(b, ["x"]), ["4"]);
    });
  });
});
