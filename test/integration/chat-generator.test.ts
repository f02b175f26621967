import assert from "node:assert/strict";
import { api, uniqueName } from "../support/api";
import { eventually } from "../support/eventually";
import { defaultBehaviour, defaultStory, gate, startFakeLlm, type Call, type FakeLlm } from "../support/fake-llm";
import { startServerProcess, type ServerProcess } from "../support/process";
import { server } from "../support/server";

/**
 * What the turn engine tells the generator and what it does when the generator fails,
 * seen from a chat-completions server the test scripts (the product runs with
 * GENERATOR=openai): the runtime context of each reply, user events stored before the
 * reply, failed turns and their retry by idempotency key.
 */

async function userOn(base: string) {
  const username = uniqueName("cgen");
  const password = "correct-horse-1";
  const reg = await api("POST", "/api/v1/auth/register", { base, body: { username, email: `${username}@example.test`, password } });
  assert.equal(reg.status, 201);
  const login = await api("POST", "/api/v1/auth/login", { base, body: { username, password } });
  return { id: reg.body.id as string, token: login.body.access_token as string };
}

const replyCalls = (fake: FakeLlm) => fake.calls.filter((c) => c.body.stream);
const historyOf = (call: Call) => call.body.messages.filter((m) => m.role !== "system").map((m) => [m.role, m.content]);

describe("the turn engine and the generator", function () {
  this.timeout(120_000);
  let fake: FakeLlm;
  let proc: ServerProcess;
  let base: string;

  before(async function () {
    fake = await startFakeLlm();
    proc = await startServerProcess({
      ...server().backend.env,
      GENERATOR: "openai",
      LLM_BASE_URL: fake.baseURL,
      LLM_MODEL: "fake-model",
      LLM_TIMEOUT_SECONDS: "2",
    });
    base = proc.url;
  });
  beforeEach(() => {
    fake.calls.length = 0;
    fake.handle = defaultBehaviour;
  });
  after(async () => {
    await proc?.stop("SIGKILL");
    await fake?.close();
  });

  const post = (path: string, token: string, body: unknown) => api("POST", `/api/v1${path}`, { base, token, body });

  async function chatRoom(token: string) {
    const character = await post("/characters", token, {
      name: "Mara",
      description: "A lamplighter who knows every street.",
      greeting: "Evening.",
      start_sets: [{ id: "harbour", title: "Harbour", intro: "Fog rolls over the harbour at dawn.", first_line: "You're late." }],
    });
    const started = await post("/chat/start", token, { character_id: character.body.id, opening_id: "harbour" });
    return { characterId: character.body.id as string, roomId: started.body.room_id as string };
  }

  async function origchatSession(token: string) {
    const story = await post("/stories", token, { title: "The Lantern", summary: "A missing boat.", content: "Mara lit the lamps along the harbour while the fog came in." });
    return (await post("/chat/origchat/start", token, { story_id: story.body.id })).body.session_id as string;
  }

  describe("the runtime context", () => {
    it("an imported card's persona reaches the generator, and a lore entry only once its key is in the conversation", async () => {
      const user = await userOn(base);
      const card = {
        spec: "chara_card_v2",
        spec_version: "2.0",
        data: {
          name: "Wren",
          description: "A ferryman of few words.",
          first_mes: "Step aboard.",
          personality: "Patient, dry, watchful.",
          scenario: "A river crossing at dusk.",
          system_prompt: "You are {{char}}, and you never hurry.",
          mes_example: "<START>\n{{user}}: Fare?\n{{char}}: One coin.",
          character_book: {
            entries: [{ keys: ["glade"], content: "The glade lies past the third bend, where the willows dip.", enabled: true, insertion_order: 1 }],
          },
        },
      };
      const imported = await api("POST", "/api/v1/characters/import", { base, token: user.token, body: card });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      const started = await post("/chat/start", user.token, { character_id: imported.body.id });
      const send = (content: string) => post("/chat/message", user.token, { room_id: started.body.room_id, character_id: imported.body.id, content });
      assert.equal((await send("Is the water cold?")).status, 200);
      assert.equal((await send("Where is the glade?")).status, 200);
      const [first, second] = replyCalls(fake);
      for (const text of ["Patient, dry, watchful.", "A river crossing at dusk.", "You are Wren, and you never hurry."]) {
        assert.ok(first!.system.includes(text), `the prompt carries "${text}": ${first!.system}`);
      }
      assert.ok(!JSON.stringify(first!.body.messages).includes("third bend"), "no lore before its key is mentioned");
      assert.ok(JSON.stringify(second!.body.messages).includes("The glade lies past the third bend"), "the lore entry once its key is");
    });

    it("character chat: the character, the start set's intro as a setting memo, the opening and earlier turns as history, the new message last", async () => {
      const user = await userOn(base);
      const { characterId, roomId } = await chatRoom(user.token);
      const first = await post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "Where is the boat?" });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.character_message.text, defaultStory.join(""));
      await post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "And the fog?", settings_patch: { temperature: 0.2 } });
      const [call1, call2] = replyCalls(fake);
      assert.match(call1!.system, /You are Mara/);
      assert.match(call1!.system, /Mara: A lamplighter who knows every street\./);
      assert.match(call1!.system, /## Setting notes\nFog rolls over the harbour at dawn\./);
      assert.deepEqual(historyOf(call1!), [
        ["assistant", "Fog rolls over the harbour at dawn."],
        ["assistant", "You're late."],
        ["user", "Where is the boat?"],
      ]);
      assert.deepEqual(historyOf(call2!).slice(-3), [
        ["user", "Where is the boat?"],
        ["assistant", defaultStory.join("")],
        ["user", "And the fog?"],
      ]);
      assert.equal(call2!.body.temperature, 0.2);
      assert.equal(fake.calls.length, 2, "character chat asks for no choices");
    });

    it("origchat: the story's title, summary and excerpt, a narrator, and the choices the model offers become the pending choices", async () => {
      const user = await userOn(base);
      const sessionId = await origchatSession(user.token);
      const res = await post("/chat/origchat/turn", user.token, { session_id: sessionId, input: { type: "situation", text: "A bell rings." } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [call] = replyCalls(fake);
      assert.match(call!.system, /## Story\nThe Lantern: A missing boat\.\nMara lit the lamps along the harbour/);
      assert.match(call!.system, /You are Narrator/);
      assert.equal(call!.prompt, "(Situation: A bell rings.)");
      assert.deepEqual(res.body.pending_choices.map((c: { label: string }) => c.label), ["Wave back", "Walk away"]);
      const chosen = await post("/chat/origchat/turn", user.token, { session_id: sessionId, input: { type: "choice", choice_id: res.body.pending_choices[1].id } });
      assert.equal(chosen.status, 200);
      assert.equal(replyCalls(fake)[1]!.prompt, "(The user chooses: Walk away)");
    });
  });

  describe("edits between turns", () => {
    it("a character edited between two turns is read again: the next reply is written from the new description", async () => {
      const user = await userOn(base);
      const { characterId, roomId } = await chatRoom(user.token);
      await post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "One." });
      const edit = await api("PATCH", `/api/v1/characters/${characterId}`, { base, token: user.token, body: { description: "A retired sea captain." } });
      assert.equal(edit.status, 200);
      const next = await post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "Two." });
      assert.equal(next.body.turn, 2);
      assert.match(replyCalls(fake)[1]!.system, /Mara: A retired sea captain\./);
    });

    it("a story edited between two turns is read again, and one deleted refuses the next turn with 410", async () => {
      const user = await userOn(base);
      const story = await post("/stories", user.token, { title: "The Lantern", content: "The first draft." });
      const sessionId = (await post("/chat/origchat/start", user.token, { story_id: story.body.id })).body.session_id;
      await post("/chat/origchat/turn", user.token, { session_id: sessionId, input: { type: "text", text: "One." } });
      await api("PATCH", `/api/v1/stories/${story.body.id}`, { base, token: user.token, body: { content: "The second draft." } });
      await post("/chat/origchat/turn", user.token, { session_id: sessionId, input: { type: "text", text: "Two." } });
      assert.match(replyCalls(fake)[1]!.system, /The second draft\./);
      await api("DELETE", `/api/v1/stories/${story.body.id}`, { base, token: user.token });
      const gone = await post("/chat/origchat/turn", user.token, { session_id: sessionId, input: { type: "text", text: "Three." } });
      assert.equal(gone.status, 410);
    });
  });

  describe("failures", () => {
    it("the user's event is stored before the reply is generated", async () => {
      const user = await userOn(base);
      const sessionId = await origchatSession(user.token);
      const held = gate();
      fake.handle = (call) => (call.body.stream ? { kind: "stream", chunks: ["Slowly."], holdAt: 0, gate: held.promise } : defaultBehaviour(call));
      const pending = post("/chat/origchat/turn", user.token, { session_id: sessionId, input: { type: "text", text: "Wait for me." } });
      await eventually(() => replyCalls(fake).length === 1, "the reply is being generated");
      const during = await api("GET", `/api/v1/chat/origchat/sessions/${sessionId}`, { base, token: user.token });
      assert.equal(during.body.turn, 1);
      assert.deepEqual(during.body.events.map((e: { role: string; text: string }) => [e.role, e.text]), [["user", "Wait for me."]]);
      held.open();
      assert.equal((await pending).status, 200);
    });

    it("a failing generator answers 502 generator_failed; the input stays as a failed turn; the same idempotency_key generates that turn again", async () => {
      const user = await userOn(base);
      const sessionId = await origchatSession(user.token);
      fake.handle = (call) => (call.body.stream ? { kind: "status", status: 500 } : defaultBehaviour(call));
      const body = { session_id: sessionId, input: { type: "text", text: "Try this." }, idempotency_key: "retry-me" };
      const failed = await post("/chat/origchat/turn", user.token, body);
      assert.equal(failed.status, 502);
      assert.equal(failed.body.code, "generator_failed");
      const after = await api("GET", `/api/v1/chat/origchat/sessions/${sessionId}`, { base, token: user.token });
      assert.equal(after.body.turn, 1);
      assert.deepEqual(after.body.events.map((e: { role: string }) => e.role), ["user"]);
      fake.handle = defaultBehaviour;
      const retried = await post("/chat/origchat/turn", user.token, body);
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      assert.equal(retried.body.turn, 1);
      assert.deepEqual(retried.body.events.map((e: { role: string; text: string }) => [e.role, e.text]), [
        ["user", "Try this."],
        ["narrator", defaultStory.join("")],
      ]);
      assert.equal((await post("/chat/origchat/turn", user.token, body)).body.turn, 1, "and it is now stored");
      const next = await post("/chat/origchat/turn", user.token, { session_id: sessionId, input: { type: "text", text: "Next." } });
      assert.equal(next.body.turn, 2);
    });

    it("a timed-out reply is 504 generator_timeout, and the next turn takes the next number", async () => {
      const user = await userOn(base);
      const { characterId, roomId } = await chatRoom(user.token);
      fake.handle = (call) => (call.body.stream ? { kind: "stream", chunks: ["Too", " slow"], delayMs: 3000 } : defaultBehaviour(call));
      const slow = await post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "Hello?" });
      assert.equal(slow.status, 504);
      assert.equal(slow.body.code, "generator_timeout");
      fake.handle = defaultBehaviour;
      const next = await post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "Hello again." });
      assert.equal(next.status, 200);
      assert.equal(next.body.turn, 2);
    });

    it("a turn waits for the one being generated before it, and sees its reply", async () => {
      const user = await userOn(base);
      const { characterId, roomId } = await chatRoom(user.token);
      const held = gate();
      let replies = 0;
      fake.handle = (call) => (call.body.stream ? { kind: "stream", chunks: [`Reply ${++replies}.`], holdAt: 0, gate: held.promise } : defaultBehaviour(call));
      const first = post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "First." });
      await eventually(() => replyCalls(fake).length === 1, "the first reply is being generated");
      const second = post("/chat/message", user.token, { room_id: roomId, character_id: characterId, content: "Second." });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(replyCalls(fake).length, 1, "the second waits");
      held.open();
      const [a, b] = await Promise.all([first, second]);
      assert.deepEqual([a.body.turn, b.body.turn], [1, 2]);
      assert.deepEqual(historyOf(replyCalls(fake)[1]!).slice(-3), [
        ["user", "First."],
        ["assistant", "Reply 1."],
        ["user", "Second."],
      ]);
    });
  });
});
