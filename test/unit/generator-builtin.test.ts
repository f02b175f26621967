import assert from "node:assert/strict";
import { BuiltinGenerator } from "../../infra/generator/builtin";
import { quickCreateContent } from "../../infra/generator/content";
import { GeneratorError, type ReplyContext } from "../../infra/generator/generator";

const generator = new BuiltinGenerator({ paceMs: 0 });

const context = (over: Partial<ReplyContext> = {}): ReplyContext => ({
  character: { name: "Elspeth", description: "A lighthouse keeper.", greeting: "Hello." },
  turns: [],
  input: { type: "text", text: "Tell me about the lighthouse" },
  memos: [],
  stats: {},
  lore: [],
  pending_choices: [],
  ...over,
});

describe("built-in generator", () => {
  describe("stories", () => {
    it("the same request gives the same story, a different prompt a different one", async () => {
      const a = await generator.story({ prompt: "a lighthouse that moves at night" });
      const b = await generator.story({ prompt: "a lighthouse that moves at night" });
      const c = await generator.story({ prompt: "a baker who can taste lies" });
      assert.deepEqual(a, b);
      assert.notEqual(a.text, c.text);
    });

    it("streams word-sized deltas whose concatenation is the text", async () => {
      const deltas: string[] = [];
      const story = await generator.story({ prompt: "a map that redraws itself" }, { onDelta: (d) => deltas.push(d) });
      assert.ok(deltas.length > 100, `${deltas.length} deltas`);
      assert.ok(deltas.every((d) => d.trim().split(/\s+/).length === 1));
      assert.equal(deltas.join(""), story.text);
    });

    it("writes readable prose around the prompt's premise: paragraphs, named people, no placeholders", async () => {
      const story = await generator.story({ prompt: "Write a story about a dragon who is afraid of heights." });
      assert.match(story.text, /a dragon who is afraid of heights/);
      assert.doesNotMatch(story.text, /lorem|ipsum|\{|\}|undefined/i);
      assert.ok(story.title.length > 3 && !/\{/.test(story.title));
      for (const paragraph of story.text.split("\n\n")) assert.match(paragraph, /^["\p{Lu}].*[.!?"]$/su);
    });

    it("a longer length writes more paragraphs, and a named genre is honoured", async () => {
      const counts = await Promise.all(
        (["short", "medium", "long"] as const).map(async (length) => (await generator.story({ prompt: "a quiet harbour", length })).text.split("\n\n").length),
      );
      assert.ok(counts[0]! < counts[1]! && counts[1]! < counts[2]!, counts.join(" < "));
      const space = await generator.story({ prompt: "a quiet harbour", genre: "science fiction" });
      assert.match(space.text, /station|habitat|ship|terraformed/);
    });

    it("an aborted signal stops the stream and rejects with cancelled", async () => {
      const paced = new BuiltinGenerator({ paceMs: 1 });
      const controller = new AbortController();
      const deltas: string[] = [];
      const run = paced.story({ prompt: "a long road", length: "long" }, { signal: controller.signal, onDelta: (d) => {
        deltas.push(d);
        if (deltas.length === 3) controller.abort();
      } });
      await assert.rejects(run, (err: unknown) => err instanceof GeneratorError && err.code === "cancelled");
      assert.equal(deltas.length, 3);
    });
  });

  describe("character extraction", () => {
    it("finds the people of a generated story under their full names, with the appositive that introduced them", async () => {
      const story = await generator.story({ prompt: "a fox who claims to be a prince", genre: "fantasy", length: "medium" });
      const found = await generator.extractCharacters(story.text);
      assert.ok(found.length >= 2, JSON.stringify(found));
      const [hero, companion] = found;
      assert.match(hero!.name, /^\p{Lu}\p{L}+ \p{Lu}\p{L}+$/u);
      assert.ok(hero!.mentions > 3);
      assert.match(hero!.description, /^An? /);
      assert.ok(story.text.includes(companion!.name));
      assert.ok(found.every((c) => c.mentions >= 1 && c.description.length > 0));
    });

    it("counts mentions, leaves places and sentence-initial words out, and keeps a titled name", async () => {
      const text = "Alice went to Paris with Bob. In Paris, she met Dr Moreau, who said hello. Bob laughed. Tuesday came. Nothing happened.";
      const names = (await generator.extractCharacters(text)).map((c) => [c.name, c.mentions]);
      assert.deepEqual(names, [["Bob", 2], ["Dr Moreau", 1]]);
    });

    it("finds nobody in text without names", async () => {
      assert.deepEqual(await generator.extractCharacters("it was a dark and stormy night. the rain fell."), []);
      assert.deepEqual(await generator.extractCharacters(""), []);
    });
  });

  describe("replies", () => {
    it("answers the same context with the same reply, streamed, and a new input with another", async () => {
      const deltas: string[] = [];
      const a = await generator.reply(context(), { onDelta: (d) => deltas.push(d) });
      const b = await generator.reply(context());
      const c = await generator.reply(context({ input: { type: "text", text: "Where were you last night?" } }));
      assert.deepEqual(a, b);
      assert.notEqual(a.text, c.text);
      assert.equal(deltas.join(""), a.text);
      assert.match(a.text, /Elspeth/);
    });

    it("shows which lore entries it was given, by content, and names them in lore_used", async () => {
      const lore = [{ id: "keeper", name: "the Keeper", keys: ["keeper"], content: "The Keeper vanished in the storm of '98." }];
      const reply = await generator.reply(context({ lore }));
      assert.ok(reply.text.includes("The Keeper vanished in the storm of '98."));
      assert.deepEqual(reply.lore_used, ["keeper"]);
      assert.deepEqual((await generator.reply(context())).lore_used, []);
    });

    it("offers as many choices as asked, with distinct ids, and weaves in the latest memo and the strongest stat", async () => {
      const reply = await generator.reply(context({ offer_choices: 3, memos: ["Old memo", "Rain drums on the roof"], stats: { trust: 4, fear: -1 } }));
      assert.equal(reply.choices.length, 3);
      assert.equal(new Set(reply.choices.map((c) => c.id)).size, 3);
      assert.match(reply.text, /Rain drums on the roof/);
      assert.match(reply.text, /trust runs high/);
      assert.deepEqual((await generator.reply(context())).choices, []);
    });
  });

  describe("quick create", () => {
    it("writes a greeting, start sets and exactly two endings that meet the content rules, the same each time", async () => {
      const request = { name: "Ivy", one_line_intro: "A florist who secretly reads minds.", audience_slug: "general", style_slug: "romance", tags: [] };
      const content = await generator.quickCreate(request);
      assert.ok(quickCreateContent.safeParse(content).success);
      assert.ok(content.start_sets.length >= 1);
      assert.equal(content.endings.length, 2);
      assert.match(content.greeting, /Ivy/);
      assert.ok(content.tags.includes("romance"));
      assert.deepEqual(await generator.quickCreate(request), content);
    });
  });
});
