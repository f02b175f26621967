import assert from "node:assert/strict";
import { GeneratorError, type GeneratorErrorCode, type ReplyContext } from "../../infra/generator/generator";
import { OpenAIGenerator } from "../../infra/generator/openai";
import { defaultBehaviour, defaultStory, gate, startFakeLlm, type FakeLlm } from "../support/fake-llm";

const failsWith = (code: GeneratorErrorCode) => (err: unknown) => {
  assert.ok(err instanceof GeneratorError, String(err));
  assert.equal(err.code, code, err.message);
  return true;
};

describe("OpenAI-compatible generator (against a local chat-completions server)", () => {
  let fake: FakeLlm;
  let generator: OpenAIGenerator;

  before(async () => {
    fake = await startFakeLlm();
    generator = new OpenAIGenerator({ baseURL: fake.baseURL, apiKey: "test-key", model: "fake-model", timeoutSeconds: 1 });
  });
  beforeEach(() => {
    fake.calls.length = 0;
    fake.handle = defaultBehaviour;
  });
  after(() => fake.close());

  it("streams a story: every delta in order, the model and the prompt sent, a title from the premise", async () => {
    const deltas: string[] = [];
    const story = await generator.story({ prompt: "Write a story about a lamplighter named Mara Vell", length: "short" }, { onDelta: (d) => deltas.push(d) });
    assert.deepEqual(deltas, defaultStory);
    assert.equal(story.text, defaultStory.join(""));
    assert.equal(story.title, "A lamplighter named Mara Vell");
    const [call] = fake.calls;
    assert.equal(call!.body.model, "fake-model");
    assert.equal(call!.body.stream, true);
    assert.equal(call!.prompt, "Write a story about a lamplighter named Mara Vell");
  });

  it("reads structured answers without streaming: quick-create content and extracted characters with counted mentions", async () => {
    const content = await generator.quickCreate({ name: "Ivy", one_line_intro: "A florist.", audience_slug: "general", style_slug: "casual", tags: [] });
    assert.equal(content.endings.length, 2);
    assert.equal(fake.calls[0]!.body.stream, undefined);
    const found = await generator.extractCharacters("Mara Vell lit the lamps. Later Mara slept. Mara dreamed.");
    assert.deepEqual(found, [{ name: "Mara Vell", description: "A lamplighter.", mentions: 3 }]);
  });

  it("a reply streams and offers the choices of a second, structured call", async () => {
    const ctx: ReplyContext = {
      character: { name: "Mara", description: "A lamplighter.", greeting: "Hello." },
      turns: [{ role: "user", text: "Hi" }, { role: "character", text: "Hello again." }],
      input: { type: "text", text: "What now?" },
      memos: ["Night falls."],
      stats: { trust: 2 },
      lore: [{ id: "l1", name: "Lamps", keys: ["lamp"], content: "The lamps never go out." }],
      pending_choices: [],
      offer_choices: 2,
    };
    const reply = await generator.reply(ctx);
    assert.equal(reply.text, defaultStory.join(""));
    assert.deepEqual(reply.choices.map((c) => c.label), ["Wave back", "Walk away"]);
    assert.deepEqual(reply.lore_used, ["l1"]);
    const messages = fake.calls[0]!.body.messages;
    assert.deepEqual(messages.map((m) => m.role), ["system", "user", "assistant", "user"]);
    for (const part of ["A lamplighter.", "Night falls.", "trust: 2", "Lamps: The lamps never go out."]) assert.ok(messages[0]!.content.includes(part), part);
    assert.equal(messages.at(-1)!.content, "What now?");
  });

  it("a 429 is rate_limited with the provider's Retry-After", async () => {
    fake.handle = () => ({ kind: "status", status: 429, headers: { "retry-after": "7" } });
    await assert.rejects(generator.story({ prompt: "x" }), (err: unknown) => {
      failsWith("rate_limited")(err);
      assert.equal((err as GeneratorError).retryAfterSeconds, 7);
      return true;
    });
    assert.equal(fake.calls.length, 1, "no retry behind the caller's back");
  });

  it("a 500, a cut connection, an error event mid-stream and an unfinished stream are provider_error", async () => {
    fake.handle = () => ({ kind: "status", status: 500 });
    await assert.rejects(generator.story({ prompt: "x" }), failsWith("provider_error"));

    for (const failure of ["error-event", "disconnect"] as const) {
      const deltas: string[] = [];
      fake.handle = () => ({ kind: "stream", chunks: defaultStory, failAfter: 3, failure });
      await assert.rejects(generator.story({ prompt: "x" }, { onDelta: (d) => deltas.push(d) }), failsWith("provider_error"));
      assert.deepEqual(deltas, defaultStory.slice(0, 3), failure);
    }

    fake.handle = () => ({ kind: "stream", chunks: defaultStory, unfinished: true });
    await assert.rejects(generator.story({ prompt: "x" }), failsWith("provider_error"));
  });

  it("an answer that is not the expected JSON is provider_error", async () => {
    fake.handle = () => ({ kind: "json", content: "Sure! Here is your character: Ivy is nice." });
    await assert.rejects(generator.quickCreate({ name: "Ivy", one_line_intro: "x", audience_slug: "a", style_slug: "b", tags: [] }), failsWith("provider_error"));
    fake.handle = () => ({ kind: "json", content: JSON.stringify({ description: "d", greeting: "g", start_sets: [], endings: [] }) });
    await assert.rejects(generator.quickCreate({ name: "Ivy", one_line_intro: "x", audience_slug: "a", style_slug: "b", tags: [] }), failsWith("provider_error"));
  });

  it("a provider slower than the timeout is timeout, whether it stalls before the answer or inside the stream", async () => {
    fake.handle = () => ({ kind: "json", content: "{}", delayMs: 1500 });
    await assert.rejects(generator.extractCharacters("Mara"), failsWith("timeout"));
    const deltas: string[] = [];
    fake.handle = () => ({ kind: "stream", chunks: defaultStory, delayMs: 200 });
    await assert.rejects(generator.story({ prompt: "x" }, { onDelta: (d) => deltas.push(d) }), failsWith("timeout"));
    assert.ok(deltas.length > 0 && deltas.length < defaultStory.length);
  });

  it("aborting the signal mid-stream is cancelled and hangs up on the provider", async () => {
    const held = gate();
    fake.handle = () => ({ kind: "stream", chunks: defaultStory, holdAt: 2, gate: held.promise });
    const controller = new AbortController();
    const deltas: string[] = [];
    const run = generator.story({ prompt: "x" }, { signal: controller.signal, onDelta: (d) => {
      deltas.push(d);
      if (deltas.length === 2) controller.abort();
    } });
    await assert.rejects(run, failsWith("cancelled"));
    const call = fake.calls[0]!;
    await call.closed;
    assert.equal(call.aborted, true);
    assert.deepEqual(deltas, defaultStory.slice(0, 2));
    held.open();
  });

  it("an unreachable provider is provider_error, and an already aborted signal makes no request", async () => {
    const nowhere = new OpenAIGenerator({ baseURL: "http://127.0.0.1:1/v1", model: "m", timeoutSeconds: 1 });
    await assert.rejects(nowhere.story({ prompt: "x" }), failsWith("provider_error"));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(generator.story({ prompt: "x" }, { signal: controller.signal }), failsWith("cancelled"));
    assert.equal(fake.calls.length, 0);
  });
});
