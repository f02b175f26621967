import assert from "node:assert/strict";
import { adminUser, api, newUser, type TestUser } from "../support/api";

/** Character chat over REST: rooms with a character, their turns, settings and listings. */

const START_SETS = [
  { id: "harbour", title: "At the Harbour", intro: "Fog rolls over the harbour at dawn.", first_line: "\"You're late. The boat left without us.\"" },
  { id: "tower", title: "The Tower", intro: "", first_line: "\"Up here, quickly.\"" },
];

async function character(owner: TestUser, body: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/v1/characters", {
    token: owner.token,
    body: { name: "Mara", description: "A lamplighter who knows every street.", greeting: "*Mara looks up.* \"Evening.\"", start_sets: START_SETS, ...body },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string };
}

const start = (user: TestUser, body: Record<string, unknown>, path = "start") => api("POST", `/api/v1/chat/${path}`, { token: user.token, body });
const send = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/chat/message", { token: user.token, body });

describe("Character chat", () => {
  describe("an imported card's character book", () => {
    it("a lore entry's key in a user message puts the entry in the reply's context (the built-in generator shows what it was given)", async () => {
      const user = await newUser("lore");
      const imported = await api("POST", "/api/v1/characters/import", {
        token: user.token,
        body: {
          spec: "chara_card_v2",
          spec_version: "2.0",
          data: {
            name: "Wren",
            first_mes: "Step aboard.",
            character_book: { entries: [{ keys: ["Glade"], content: "The glade lies past the third bend.", enabled: true, insertion_order: 1 }] },
          },
        },
      });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      const room = (await start(user, { character_id: imported.body.id })).body.room_id;
      const quiet = await send(user, { room_id: room, character_id: imported.body.id, content: "Is the water cold?" });
      assert.equal(quiet.status, 200);
      assert.doesNotMatch(quiet.body.character_message.text, /third bend/);
      const asked = await send(user, { room_id: room, character_id: imported.body.id, content: "Take me to the glade, please." });
      assert.equal(asked.status, 200);
      assert.match(asked.body.character_message.text, /The glade lies past the third bend\./);
    });
  });

  describe("POST /chat/start and /chat/start-new", () => {
    it("a first start opens a room with the greeting; a second start reuses it; start-new always opens another (201)", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const first = await start(user, { character_id: c.id });
      assert.equal(first.status, 200);
      assert.equal(first.body.reused, false);
      assert.equal(first.body.character_id, c.id);
      assert.deepEqual(
        first.body.messages.map((m: any) => [m.turn, m.role, m.kind, m.text]),
        [[0, "character", "greeting", "*Mara looks up.* \"Evening.\""]],
      );
      const again = await start(user, { character_id: c.id });
      assert.equal(again.status, 200);
      assert.equal(again.body.reused, true);
      assert.equal(again.body.room_id, first.body.room_id);
      const fresh = await start(user, { character_id: c.id }, "start-new");
      assert.equal(fresh.status, 201);
      assert.equal(fresh.headers.get("location"), `/api/v1/chat/rooms/${fresh.body.room_id}/messages`);
      assert.equal(fresh.body.reused, false);
      assert.notEqual(fresh.body.room_id, first.body.room_id);
      // The newest room is now the latest one: a plain start reuses it.
      assert.equal((await start(user, { character_id: c.id })).body.room_id, fresh.body.room_id);
    });

    it("an opening_id opens with its start set's intro (narrated) and first line; an empty intro is left out", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const harbour = await start(user, { character_id: c.id, opening_id: "harbour" }, "start-new");
      assert.deepEqual(
        harbour.body.messages.map((m: any) => [m.role, m.kind, m.text]),
        [
          ["narrator", "intro", "Fog rolls over the harbour at dawn."],
          ["character", "first_line", "\"You're late. The boat left without us.\""],
        ],
      );
      const tower = await start(user, { character_id: c.id, opening_id: "tower" }, "start-new");
      assert.deepEqual(tower.body.messages.map((m: any) => m.kind), ["first_line"]);
    });

    it("an unknown opening_id is 404 start set not found, and opens nothing", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const res = await start(user, { character_id: c.id, opening_id: "nowhere" });
      assert.equal(res.status, 404);
      assert.equal(res.body.detail, "start set not found");
      assert.equal((await api("GET", "/api/v1/chat/rooms", { token: user.token })).body.total, 0);
    });

    it("someone else's private character is 403; their public one is open to anyone; an admin may open a private one", async () => {
      const [owner, stranger] = await Promise.all([newUser("chat"), newUser("chat")]);
      const hidden = await character(owner);
      const shown = await character(owner, { is_public: true });
      for (const path of ["start", "start-new"]) {
        const res = await start(stranger, { character_id: hidden.id }, path);
        assert.equal(res.status, 403, path);
        assert.equal(res.body.code, "forbidden");
      }
      assert.equal((await start(stranger, { character_id: shown.id })).status, 200);
      const admin = await adminUser();
      assert.equal((await api("POST", "/api/v1/chat/start", { token: admin.token, body: { character_id: hidden.id } })).status, 200);
    });

    it("an unknown character is 404; a malformed id or an unknown field is 400; no token is 401", async () => {
      const user = await newUser("chat");
      const missing = await start(user, { character_id: "00000000-0000-4000-8000-000000000000" });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.detail, "character not found");
      const bad = await start(user, { character_id: "nope", room_id: "x" });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.errors.map((e: any) => e.field).sort(), ["character_id", "room_id"]);
      assert.equal((await api("POST", "/api/v1/chat/start", { body: { character_id: "00000000-0000-4000-8000-000000000000" } })).status, 401);
    });

    it("parallel starts without a room end in one room", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const results = await Promise.all(Array.from({ length: 6 }, () => start(user, { character_id: c.id })));
      assert.ok(results.every((r) => r.status === 200));
      assert.equal(new Set(results.map((r) => r.body.room_id)).size, 1);
      assert.equal(results.filter((r) => !r.body.reused).length, 1);
    });
  });

  describe("POST /chat/message", () => {
    it("plays a turn: the user's message and the character's reply, numbered 1, 2, … with the room's settings", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const room = (await start(user, { character_id: c.id })).body.room_id;
      const first = await send(user, { room_id: room, character_id: c.id, content: "  Tell me about the lanterns.  " });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.turn, 1);
      assert.equal(first.body.user_message.role, "user");
      assert.equal(first.body.user_message.text, "Tell me about the lanterns.");
      assert.equal(first.body.user_message.turn, 1);
      assert.equal(first.body.character_message.role, "character");
      assert.equal(first.body.character_message.kind, "reply");
      assert.match(first.body.character_message.text, /lanterns/);
      assert.deepEqual(first.body.settings, { postprocess_mode: "none", next_event_len: 1, response_length_pref: "medium", prewarm_on_start: false, temperature: 0.8 });
      const second = await send(user, { room_id: room, character_id: c.id, content: "And the fog?" });
      assert.equal(second.body.turn, 2);
    });

    it("applies a settings patch and keeps it for later turns", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const room = (await start(user, { character_id: c.id })).body.room_id;
      const res = await send(user, { room_id: room, character_id: c.id, content: "Hello", settings_patch: { temperature: 1.5, response_length_pref: "short", postprocess_mode: "trim" } });
      assert.equal(res.status, 200);
      assert.equal(res.body.settings.temperature, 1.5);
      assert.equal(res.body.settings.response_length_pref, "short");
      assert.equal(res.body.settings.postprocess_mode, "trim");
      const later = await send(user, { room_id: room, character_id: c.id, content: "Again" });
      assert.equal(later.body.settings.temperature, 1.5);
      const listed = (await api("GET", "/api/v1/chat/rooms", { token: user.token })).body.items[0];
      assert.equal(listed.settings.response_length_pref, "short");
    });

    it("an unknown setting is 400 unknown_setting naming it, and plays no turn", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const room = (await start(user, { character_id: c.id })).body.room_id;
      const res = await send(user, { room_id: room, character_id: c.id, content: "Hi", settings_patch: { temperature: 1, model: "gpt-9", top_k: 3 } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "unknown_setting");
      assert.deepEqual(res.body.errors.map((e: any) => e.field).sort(), ["settings_patch.model", "settings_patch.top_k"]);
      const outOfRange = await send(user, { room_id: room, character_id: c.id, content: "Hi", settings_patch: { temperature: 2.5 } });
      assert.equal(outOfRange.status, 400);
      assert.equal(outOfRange.body.code, "validation_failed");
      assert.equal(outOfRange.body.errors[0].field, "settings_patch.temperature");
      const messages = await api("GET", `/api/v1/chat/rooms/${room}/messages`, { token: user.token });
      assert.equal(messages.body.total, 1, "only the greeting");
    });

    it("someone else's room is 403, an unknown room 404, another character 409 character_mismatch", async () => {
      const [owner, stranger] = await Promise.all([newUser("chat"), newUser("chat")]);
      const c = await character(owner, { is_public: true });
      const other = await character(owner);
      const room = (await start(owner, { character_id: c.id })).body.room_id;
      const theirs = await send(stranger, { room_id: room, character_id: c.id, content: "Let me in" });
      assert.equal(theirs.status, 403);
      assert.equal(theirs.body.code, "forbidden");
      const unknown = await send(owner, { room_id: "00000000-0000-4000-8000-000000000000", character_id: c.id, content: "Hi" });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.detail, "chat room not found");
      const mismatch = await send(owner, { room_id: room, character_id: other.id, content: "Hi" });
      assert.equal(mismatch.status, 409);
      assert.equal(mismatch.body.code, "character_mismatch");
    });

    it("empty or oversized content is 400", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const room = (await start(user, { character_id: c.id })).body.room_id;
      assert.equal((await send(user, { room_id: room, character_id: c.id, content: "   " })).status, 400);
      assert.equal((await send(user, { room_id: room, character_id: c.id, content: "x".repeat(2001) })).status, 400);
    });

    it("20 parallel messages on one room are turns 1..20, each once, each with its own reply", async () => {
      const user = await newUser("chat");
      const c = await character(user);
      const room = (await start(user, { character_id: c.id })).body.room_id;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => send(user, { room_id: room, character_id: c.id, content: `Message number ${i}` })));
      assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
      assert.deepEqual(results.map((r) => r.body.turn).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      const page = await api("GET", `/api/v1/chat/rooms/${room}/messages?limit=100`, { token: user.token });
      assert.equal(page.body.total, 41);
      const byTurn = new Map<number, string[]>();
      for (const m of page.body.items) byTurn.set(m.turn, [...(byTurn.get(m.turn) ?? []), m.role]);
      for (let turn = 1; turn <= 20; turn++) assert.deepEqual(byTurn.get(turn)?.sort(), ["character", "user"], `turn ${turn}`);
      // Each turn's reply was written after the turn before it was whole: the context grew by two events a turn.
      const ordered = results.map((r) => r.body).sort((a, b) => a.turn - b.turn);
      for (const r of ordered) assert.equal(r.user_message.turn, r.turn);
    });
  });

  describe("GET /chat/rooms and /chat/rooms/{id}/messages", () => {
    it("lists the caller's own rooms only, the most recently played first, with the character's name", async () => {
      const [user, other] = await Promise.all([newUser("chat"), newUser("chat")]);
      const c = await character(user);
      const older = (await start(user, { character_id: c.id }, "start-new")).body.room_id;
      const newer = (await start(user, { character_id: c.id }, "start-new")).body.room_id;
      await start(other, { character_id: (await character(other)).id });
      await send(user, { room_id: older, character_id: c.id, content: "Back to this one" });
      const res = await api("GET", "/api/v1/chat/rooms", { token: user.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 2);
      assert.deepEqual(res.body.items.map((r: any) => r.id), [older, newer]);
      assert.equal(res.body.items[0].character_name, "Mara");
      assert.equal(res.body.items[0].turn, 1);
      assert.equal(res.body.items[1].turn, 0);
    });

    it("messages come newest first and page; someone else's room is 403, an unknown or malformed id 404", async () => {
      const [user, stranger] = await Promise.all([newUser("chat"), newUser("chat")]);
      const c = await character(user);
      const room = (await start(user, { character_id: c.id })).body.room_id;
      await send(user, { room_id: room, character_id: c.id, content: "One" });
      await send(user, { room_id: room, character_id: c.id, content: "Two" });
      const page = await api("GET", `/api/v1/chat/rooms/${room}/messages?limit=2&offset=1`, { token: user.token });
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 5);
      assert.deepEqual(page.body.items.map((m: any) => [m.turn, m.role]), [[2, "user"], [1, "character"]]);
      assert.equal((await api("GET", `/api/v1/chat/rooms/${room}/messages`, { token: stranger.token })).status, 403);
      for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-room"]) {
        const res = await api("GET", `/api/v1/chat/rooms/${id}/messages`, { token: user.token });
        assert.equal(res.status, 404, id);
      }
    });
  });
});
