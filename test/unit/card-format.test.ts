import assert from "node:assert/strict";
import { cardFromJson, toCardV2 } from "../../services/cards/card";
import { cardPersona, fillMacros, loreOf, personaOf } from "../../services/cards/persona";
import { replyMessages } from "../../infra/generator/prompts";
import { DomainError } from "../../services/errors";

/** What CharacterService.create would store from an import, as toCardV2 reads it back. */
function stored(value: unknown) {
  const { character, card } = cardFromJson(value);
  return {
    name: character.name,
    description: character.description ?? "",
    greeting: character.greeting ?? "",
    tags: character.tags ?? [],
    startSets: (character.start_sets ?? []).map((s, i) => ({ id: `s${i}`, ...s })),
    card,
  };
}

const v2Data = {
  name: "Seraphina",
  description: "A guardian of the {{char}} forest.",
  personality: "kind, fierce",
  scenario: "{{user}} wakes in a glade.",
  first_mes: "*Seraphina kneels beside you.* You're awake.",
  mes_example: "<START>\n{{user}}: hi\n{{char}}: hello",
  creator_notes: "Made for testing.",
  system_prompt: "{{original}} Write as {{char}}.",
  post_history_instructions: "Stay in character.",
  alternate_greetings: ["Second greeting.", "Third greeting."],
  character_book: { name: "Glade", extensions: {}, entries: [{ id: 1, keys: ["glade"], content: "The glade heals {{user}}.", extensions: {}, enabled: true, insertion_order: 1 }] },
  tags: ["Fantasy", "guardian"],
  creator: "someone",
  character_version: "1.2",
  extensions: { talkativeness: "0.5", "app/x": { deep: [1, 2] } },
  x_unknown_field: { kept: true },
};

const refusal = (value: unknown, detail: RegExp) =>
  assert.throws(() => cardFromJson(value), (err: unknown) => err instanceof DomainError && err.status === 400 && err.code === "invalid_card" && detail.test(err.message));

describe("character card format", () => {
  it("a V2 card maps to columns and back with every field equal", () => {
    const imported = cardFromJson({ spec: "chara_card_v2", spec_version: "2.0", data: v2Data });
    assert.equal(imported.spec, "chara_card_v2");
    assert.equal(imported.character.greeting, v2Data.first_mes);
    assert.equal(imported.character.is_public, false);
    assert.deepEqual(imported.character.start_sets?.map((s) => s.first_line), v2Data.alternate_greetings);
    assert.deepEqual(toCardV2(stored({ spec: "chara_card_v2", spec_version: "2.0", data: v2Data })), { spec: "chara_card_v2", spec_version: "2.0", data: v2Data });
  });

  it("a V1 card (flat) keeps its fields and fills the V2 ones with their defaults on export", () => {
    const v1 = { name: "Old", description: "d", personality: "p", scenario: "s", first_mes: "hi", mes_example: "", talkativeness: "0.4" };
    const { data } = toCardV2(stored(v1));
    assert.deepEqual(data, { ...v1, creator_notes: "", system_prompt: "", post_history_instructions: "", alternate_greetings: [], tags: [], creator: "", character_version: "", extensions: {} });
  });

  it("a V3 card keeps its own fields (nickname, assets, group_only_greetings…) in the V2 export", () => {
    const v3 = { ...v2Data, nickname: "Sera", group_only_greetings: ["Hi all."], assets: [{ type: "icon", uri: "ccdefault:", name: "main", ext: "png" }], creation_date: 1700000000 };
    const imported = cardFromJson({ spec: "chara_card_v3", spec_version: "3.0", data: v3 });
    assert.equal(imported.spec, "chara_card_v3");
    assert.deepEqual(toCardV2(stored({ spec: "chara_card_v3", spec_version: "3.0", data: v3 })).data, v3);
  });

  it("a native character exports with intros before first lines, and V2 defaults", () => {
    const { data } = toCardV2({ name: "N", description: "", greeting: "Hello", tags: [], card: {}, startSets: [{ id: "a", title: "Rain", intro: "It rains.", first_line: "Come in." }] });
    assert.deepEqual(data.alternate_greetings, ["It rains.\n\nCome in."]);
    assert.deepEqual(data.extensions, {});
    assert.equal(data.personality, "");
  });

  describe("refusals say why", () => {
    it("not an object", () => refusal([1, 2], /JSON object/));
    it("no recognisable fields", () => refusal({ title: "x", body: "y" }, /no recognisable card fields/));
    it("a name alone is not a V1 card", () => refusal({ name: "x" }, /no recognisable card fields/));
    it("an unknown spec", () => refusal({ spec: "lorebook_v3", data: {} }, /lorebook_v3.*chara_card_v2/));
    it("a V2 spec without data", () => refusal({ spec: "chara_card_v2", name: "x" }, /"data"/));
    it("a field of the wrong type, named", () => refusal({ spec: "chara_card_v2", data: { name: "x", first_mes: 5 } }, /data\.first_mes must be a string/));
    it("a malformed lore entry, named", () => refusal({ spec: "chara_card_v2", data: { name: "x", character_book: { entries: [{ keys: "x" }] } } }, /data\.character_book\.entries\.0\.keys/));
    it("a blank name", () => refusal({ spec: "chara_card_v2", data: { name: "  " } }, /no name/));
    it("a name longer than a character's", () => refusal({ name: "x".repeat(65), description: "" }, /name must have at most 64/));
    it("more alternate greetings than start sets allow", () => refusal({ spec: "chara_card_v2", data: { name: "x", alternate_greetings: Array(33).fill("g") } }, /alternate_greetings must have at most 32/));
    it("a NUL character anywhere", () => refusal({ spec: "chara_card_v2", data: { name: "x", extensions: { a: "b\u0000" } } }, /cannot hold/));
    it("nesting deeper than 32", () => refusal({ spec: "chara_card_v2", data: { name: "x", extensions: { a: JSON.parse("[".repeat(40) + "]".repeat(40)) } } }, /cannot hold/));
  });

  describe("persona and lore for the chat", () => {
    const source = { ...stored({ spec: "chara_card_v2", data: v2Data }) };

    it("carries the prompt fields with macros filled, and never creator_notes, creator or version", () => {
      const persona = personaOf(source, "Robin");
      assert.deepEqual(persona, {
        name: "Seraphina",
        description: "A guardian of the Seraphina forest.",
        greeting: v2Data.first_mes,
        personality: "kind, fierce",
        scenario: "Robin wakes in a glade.",
        system_prompt: "{{original}} Write as Seraphina.",
        example_dialogue: "<START>\nRobin: hi\nSeraphina: hello",
        post_history_instructions: "Stay in character.",
      });
      assert.doesNotMatch(JSON.stringify(persona), /Made for testing|someone|1\.2/);
    });

    it("leaves out empty card fields, and names the user User when the chat knows no name", () => {
      const persona = personaOf({ name: "N", description: "{{user}}", greeting: "", card: { personality: "", scenario: 5 } });
      assert.deepEqual(persona, { name: "N", description: "User", greeting: "" });
    });

    it("macros: any case, angle forms, the V3 nickname, and one pass only", () => {
      assert.equal(fillMacros("{{CHAR}} <bot> <Char> {{User}} <USER>", { char: "C", user: "U" }), "C C C U U");
      assert.equal(fillMacros("{{char}}", { char: "{{user}}", user: "U" }), "{{user}}");
      assert.equal(personaOf({ name: "Full Name", description: "{{char}}", greeting: "", card: { nickname: "Nick" } }).description, "Nick");
    });

    it("the model's system message is the card's system prompt, with {{original}} standing for ours", () => {
      const persona = personaOf(source, "Robin");
      const [system] = replyMessages({ character: persona, turns: [], input: { type: "text", text: "hi" }, memos: [], stats: {}, lore: [], pending_choices: [] });
      assert.match(String(system!.content), /^You are Seraphina, a character in an interactive story\..* Write as Seraphina\. Keep the reply/);
      const [plain] = replyMessages({ character: { ...persona, system_prompt: "Only this." }, turns: [], input: { type: "text", text: "hi" }, memos: [], stats: {}, lore: [], pending_choices: [] });
      assert.match(String(plain!.content), /^Only this\. Keep the reply/);
    });

    it("the chat engine's persona seam: the card fields with macros filled, and lore from the recent turns' text", () => {
      const fields = cardPersona.fields(source);
      assert.equal(fields.description, "A guardian of the Seraphina forest.");
      assert.equal(fields.scenario, "User wakes in a glade.");
      assert.equal(fields.example_dialogue, "<START>\nUser: hi\nSeraphina: hello");
      assert.ok(!("name" in fields));
      const recent = [{ role: "character", text: "Welcome." }, { role: "user", text: "Where is the glade?" }];
      assert.deepEqual(cardPersona.loreFor(source, recent).map((e) => e.content), ["The glade heals User."]);
    });

    it("lore entries whose keys the messages name, with macros filled", () => {
      assert.deepEqual(loreOf(source, ["hello", "what is this glade?"], "Robin"), [{ id: "1", name: "glade", keys: ["glade"], content: "The glade heals Robin." }]);
      assert.deepEqual(loreOf(source, ["hello"]), []);
      assert.deepEqual(loreOf({ name: "N", description: "", greeting: "", card: {} }, ["glade"]), []);
    });
  });
});
