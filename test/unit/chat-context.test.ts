import assert from "node:assert/strict";
import { Character } from "../../entities/character.entity";
import { buildReplyContext, NO_PERSONA, RECENT_TURN_EVENTS, type CharacterPersona, type ContextSources, type TurnText } from "../../services/chat/context";
import { DEFAULT_SETTINGS, effectiveSettings } from "../../services/chat/settings";

/** The one function that decides what a reply is written from (services/chat/context.ts). */

function mara(): Character {
  return Object.assign(new Character(), {
    id: "c1",
    name: "Mara",
    description: "A lamplighter.",
    greeting: "Evening.",
    stats: { trust: 2, courage: 1, label: "not a number" as unknown as number },
    startSets: [{ id: "harbour", title: "Harbour", intro: "  Fog over the harbour.  ", first_line: "You're late." }],
  });
}

const sources = (over: Partial<ContextSources> = {}): ContextSources => ({
  kind: "character",
  character: mara(),
  story: null,
  openingId: "harbour",
  meta: { stats: { trust: 5, fear: -1 }, memos: ["The tide is out.", 7, ""] },
  settings: DEFAULT_SETTINGS,
  recent: [],
  input: { type: "text", text: "Hello" },
  pendingChoices: [],
  ...over,
});

describe("the reply context", () => {
  it("carries the start set's intro and the room's memos, and the character's stats under the room's", () => {
    const ctx = buildReplyContext(sources());
    assert.deepEqual(ctx.memos, ["Fog over the harbour.", "The tide is out."]);
    assert.deepEqual(ctx.stats, { trust: 5, courage: 1, fear: -1 });
    assert.equal(ctx.offer_choices, 0);
    assert.deepEqual(ctx.settings, { temperature: 0.8, response_length_pref: "medium", next_event_len: 1 });
    assert.equal(ctx.story, undefined);
  });

  it("keeps the latest turn events, oldest first", () => {
    const recent = Array.from({ length: 30 }, (_, i) => ({ id: `e${i}`, turn: i, role: (i % 2 ? "character" : "user") as "user" | "character", kind: "text", text: `t${i}`, created_at: "" }));
    const ctx = buildReplyContext(sources({ recent }));
    assert.equal(ctx.turns.length, RECENT_TURN_EVENTS);
    assert.deepEqual(ctx.turns.at(0), { role: "user", text: "t10" });
    assert.deepEqual(ctx.turns.at(-1), { role: "character", text: "t29" });
  });

  it("origchat without a character is narrated, with the story, and asks for choices", () => {
    const ctx = buildReplyContext(sources({ kind: "origchat", character: null, openingId: null, story: { title: "The Lantern", summary: "S", excerpt: "E", deleted: false } }));
    assert.equal(ctx.character.name, "Narrator");
    assert.match(ctx.character.description, /The Lantern/);
    assert.deepEqual(ctx.story, { title: "The Lantern", summary: "S", excerpt: "E" });
    assert.equal(ctx.offer_choices, 3);
    assert.deepEqual(ctx.lore, []);
  });

  it("a persona plugs in Card fields and lore found from the recent turns and the input", () => {
    const seen: TurnText[][] = [];
    const persona: CharacterPersona = {
      fields: (c) => ({ personality: `${c.name} is patient.`, scenario: "A foggy night." }),
      loreFor: (_c, turns) => {
        seen.push(turns);
        return turns.some((t) => /lighthouse/i.test(t.text)) ? [{ id: "l1", name: "Lighthouse", keys: ["lighthouse"], content: "It has been dark for years." }] : [];
      },
    };
    const ctx = buildReplyContext(sources({ input: { type: "text", text: "What about the lighthouse?" }, recent: [{ id: "e", turn: 1, role: "user", kind: "text", text: "Hi", created_at: "" }] }), persona);
    assert.equal(ctx.character.personality, "Mara is patient.");
    assert.equal(ctx.character.scenario, "A foggy night.");
    assert.deepEqual(ctx.lore.map((l) => l.id), ["l1"]);
    assert.deepEqual(seen[0], [{ role: "user", text: "Hi" }, { role: "user", text: "What about the lighthouse?" }]);
    assert.deepEqual(buildReplyContext(sources(), NO_PERSONA).lore, []);
  });

  it("stored settings read with defaults; a stored value that no longer parses reads as the default", () => {
    assert.deepEqual(effectiveSettings({ temperature: 1.2, response_length_pref: "epic", extra: 1 }), { ...DEFAULT_SETTINGS, temperature: 1.2 });
  });
});
