import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { origchatMetaKey, origchatSessionKey } from "../../services/chat/origchat";
import { adminUser, api, newUser, type TestUser } from "../support/api";

/** Origchat over REST, with no room live: sessions, turns, choices, idempotency, the meta in presence. */

async function story(owner: TestUser, body: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/v1/stories", {
    token: owner.token,
    body: { title: "The Lantern", summary: "A lamplighter and a missing boat.", content: "Mara lit the lamps along the harbour while the fog came in.", ...body },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string };
}

async function character(owner: TestUser, body: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/v1/characters", { token: owner.token, body: { name: "Mara", description: "A lamplighter.", ...body } });
  assert.equal(res.status, 201);
  return res.body as { id: string };
}

const start = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/chat/origchat/start", { token: user.token, body });
const turn = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/chat/origchat/turn", { token: user.token, body });
const session = (user: TestUser, id: string) => api("GET", `/api/v1/chat/origchat/sessions/${id}`, { token: user.token });
const chatStarts = async (user: TestUser, storyId: string) => (await api("GET", `/api/v1/stories/${storyId}`, { token: user.token })).body.chat_starts;

async function newSession(user: TestUser, body: Record<string, unknown> = {}) {
  const s = await story(user);
  const res = await start(user, { story_id: s.id, ...body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { storyId: s.id, sessionId: res.body.session_id as string };
}

describe("Origchat over REST", () => {
  describe("POST /chat/origchat/start", () => {
    it("a new session answers plain mode and its meta with runtime defaults; a second start reuses it", async () => {
      const user = await newUser("orig");
      const s = await story(user);
      const first = await start(user, { story_id: s.id });
      assert.equal(first.status, 200);
      assert.equal(first.body.reused, false);
      assert.equal(first.body.mode, "plain");
      const meta = first.body.meta;
      assert.equal(meta.session_id, first.body.session_id);
      assert.equal(meta.story_id, s.id);
      assert.equal(meta.character_id, null);
      assert.equal(meta.mode, "plain");
      assert.equal(meta.turn, 0);
      assert.deepEqual(meta.pending_choices, []);
      assert.equal(meta.last_idem_key, null);
      assert.deepEqual(meta.stats, {});
      assert.deepEqual(meta.memos, []);
      assert.deepEqual(meta.settings, { postprocess_mode: "none", next_event_len: 1, response_length_pref: "medium", prewarm_on_start: false, temperature: 0.8 });
      const again = await start(user, { story_id: s.id });
      assert.equal(again.body.reused, true);
      assert.equal(again.body.session_id, first.body.session_id);
    });

    it("force_new, forceNew and force-new each open a new session, and every new session counts in the story's chat_starts", async () => {
      const user = await newUser("orig");
      const s = await story(user);
      const ids = [(await start(user, { story_id: s.id })).body.session_id];
      for (const spelling of ["force_new", "forceNew", "force-new"]) {
        const res = await start(user, { story_id: s.id, [spelling]: true });
        assert.equal(res.status, 200, spelling);
        assert.equal(res.body.reused, false, spelling);
        ids.push(res.body.session_id);
      }
      assert.equal(new Set(ids).size, 4);
      assert.equal((await start(user, { story_id: s.id, force_new: false })).body.session_id, ids[3], "the latest session is reused");
      assert.equal(await chatStarts(user, s.id), 4);
    });

    it("a mode other than plain comes back plain", async () => {
      const user = await newUser("orig");
      const s = await story(user);
      const res = await start(user, { story_id: s.id, mode: "cinematic" });
      assert.equal(res.status, 200);
      assert.equal(res.body.mode, "plain");
      assert.equal(res.body.meta.mode, "plain");
    });

    it("sessions are per story and character: another character opens another session", async () => {
      const user = await newUser("orig");
      const s = await story(user);
      const c = await character(user);
      const plain = await start(user, { story_id: s.id });
      const withMara = await start(user, { story_id: s.id, character_id: c.id });
      assert.equal(withMara.body.reused, false);
      assert.notEqual(withMara.body.session_id, plain.body.session_id);
      assert.equal(withMara.body.meta.character_id, c.id);
      assert.equal((await start(user, { story_id: s.id, character_id: c.id })).body.session_id, withMara.body.session_id);
    });

    it("a stranger's private story or private character is 403; public ones are open; an admin may use private ones", async () => {
      const [owner, stranger] = await Promise.all([newUser("orig"), newUser("orig")]);
      const hidden = await story(owner);
      const shown = await story(owner, { is_public: true });
      const privateHero = await character(owner);
      const publicHero = await character(owner, { is_public: true });
      const denied = await start(stranger, { story_id: hidden.id });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.code, "forbidden");
      assert.equal((await start(stranger, { story_id: shown.id, character_id: privateHero.id })).status, 403);
      assert.equal((await start(stranger, { story_id: shown.id, character_id: publicHero.id })).status, 200);
      const admin = await adminUser();
      assert.equal((await api("POST", "/api/v1/chat/origchat/start", { token: admin.token, body: { story_id: hidden.id, character_id: privateHero.id } })).status, 200);
    });

    it("a deleted story is 410 gone; an unknown story or character 404", async () => {
      const user = await newUser("orig");
      const s = await story(user);
      assert.equal((await api("DELETE", `/api/v1/stories/${s.id}`, { token: user.token })).status, 204);
      const res = await start(user, { story_id: s.id });
      assert.equal(res.status, 410);
      assert.equal(res.body.code, "gone");
      const unknown = await start(user, { story_id: "00000000-0000-4000-8000-000000000000" });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.detail, "story not found");
      const live = await story(user);
      const noHero = await start(user, { story_id: live.id, character_id: "00000000-0000-4000-8000-000000000000" });
      assert.equal(noHero.status, 404);
      assert.equal(noHero.body.detail, "character not found");
    });

    it("with the meta gone from presence, start still reuses the session from the database (and remembers it again)", async () => {
      const user = await newUser("orig");
      const { storyId, sessionId } = await newSession(user);
      await turn(user, { session_id: sessionId, input: { type: "text", text: "Hello" } });
      await matchMaker.presence.del(origchatMetaKey(sessionId));
      await matchMaker.presence.del(origchatSessionKey(user.id, storyId, null));
      const res = await start(user, { story_id: storyId });
      assert.equal(res.body.reused, true);
      assert.equal(res.body.session_id, sessionId);
      assert.equal(res.body.meta.turn, 1, "the meta read from the row");
      assert.ok(await matchMaker.presence.get(origchatMetaKey(sessionId)), "cached again");
      assert.equal(await chatStarts(user, storyId), 1);
    });

    it("parallel starts without force_new end in one session, counted once", async () => {
      const user = await newUser("orig");
      const s = await story(user);
      const results = await Promise.all(Array.from({ length: 6 }, () => start(user, { story_id: s.id })));
      assert.equal(new Set(results.map((r) => r.body.session_id)).size, 1);
      assert.equal(await chatStarts(user, s.id), 1);
    });

    it("an unknown field or a malformed story_id is 400", async () => {
      const user = await newUser("orig");
      const res = await start(user, { story_id: "nope", force_newest: true });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errors.map((e: any) => e.field).sort(), ["force_newest", "story_id"]);
    });
  });

  describe("POST /chat/origchat/turn", () => {
    it("a text turn stores the user's event and the narrator's reply as turn 1, and offers choices", async () => {
      const user = await newUser("orig");
      const { sessionId } = await newSession(user);
      const res = await turn(user, { session_id: sessionId, input: { type: "text", text: "I follow the lamplighter." } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.turn, 1);
      assert.deepEqual(res.body.events.map((e: any) => [e.turn, e.role, e.kind]), [
        [1, "user", "text"],
        [1, "narrator", "reply"],
      ]);
      assert.equal(res.body.events[0].text, "I follow the lamplighter.");
      assert.equal(res.body.pending_choices.length, 3);
      const meta = (await session(user, sessionId)).body;
      assert.equal(meta.turn, 1);
      assert.deepEqual(meta.pending_choices, res.body.pending_choices);
      assert.deepEqual(meta.events.map((e: any) => e.id), res.body.events.map((e: any) => e.id));
    });

    it("with a character, the character replies", async () => {
      const user = await newUser("orig");
      const c = await character(user);
      const { sessionId } = await newSession(user, { character_id: c.id });
      const res = await turn(user, { session_id: sessionId, input: { type: "situation", text: "A bell rings in the fog." } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.events.map((e: any) => [e.role, e.kind]), [
        ["user", "situation"],
        ["character", "reply"],
      ]);
      assert.match(res.body.events[1].text, /Mara/);
    });

    it("a choice with nothing pending is 409 no_pending_choice; an unknown choice id 409 invalid_choice; a pending one is played with its label", async () => {
      const user = await newUser("orig");
      const { sessionId } = await newSession(user);
      const none = await turn(user, { session_id: sessionId, input: { type: "choice", choice_id: "c-1" } });
      assert.equal(none.status, 409);
      assert.equal(none.body.code, "no_pending_choice");
      const offered = (await turn(user, { session_id: sessionId, input: { type: "text", text: "Look around." } })).body.pending_choices;
      const unknown = await turn(user, { session_id: sessionId, input: { type: "choice", choice_id: "c-not-offered" } });
      assert.equal(unknown.status, 409);
      assert.equal(unknown.body.code, "invalid_choice");
      const chosen = await turn(user, { session_id: sessionId, input: { type: "choice", choice_id: offered[1].id } });
      assert.equal(chosen.status, 200);
      assert.equal(chosen.body.turn, 2, "refused choices took no turn");
      assert.equal(chosen.body.events[0].kind, "choice");
      assert.equal(chosen.body.events[0].text, offered[1].label);
      assert.notDeepEqual(chosen.body.pending_choices.map((c: any) => c.id), offered.map((c: any) => c.id));
    });

    it("any accepted input clears the pending choices: an old choice id is refused after a text turn", async () => {
      const user = await newUser("orig");
      const { sessionId } = await newSession(user);
      const first = (await turn(user, { session_id: sessionId, input: { type: "text", text: "Look around." } })).body.pending_choices;
      await turn(user, { session_id: sessionId, input: { type: "text", text: "Never mind." } });
      const stale = await turn(user, { session_id: sessionId, input: { type: "choice", choice_id: first[0].id } });
      assert.equal(stale.status, 409);
      assert.ok(["invalid_choice"].includes(stale.body.code));
    });

    it("the same idempotency_key twice gives the identical response and one turn, and is kept as last_idem_key", async () => {
      const user = await newUser("orig");
      const { storyId, sessionId } = await newSession(user);
      const body = { session_id: sessionId, input: { type: "text", text: "Knock on the door." }, idempotency_key: "turn-1" };
      const first = await turn(user, body);
      const second = await turn(user, body);
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.equal(JSON.stringify(second.body), JSON.stringify(first.body), "the same bytes, keys in the same order");
      const after = (await session(user, sessionId)).body;
      assert.equal(after.turn, 1);
      assert.equal(after.events.length, 2);
      assert.equal(after.last_idem_key, "turn-1");
      assert.equal((await start(user, { story_id: storyId })).body.meta.last_idem_key, "turn-1");
      // A new key is a new turn; the first key still answers its own turn.
      assert.equal((await turn(user, { ...body, idempotency_key: "turn-2" })).body.turn, 2);
      assert.deepEqual((await turn(user, body)).body, first.body);
    });

    it("parallel repeats of one idempotency_key make one turn", async () => {
      const user = await newUser("orig");
      const { sessionId } = await newSession(user);
      const body = { session_id: sessionId, input: { type: "text", text: "Once." }, idempotency_key: "once" };
      const results = await Promise.all(Array.from({ length: 8 }, () => turn(user, body)));
      assert.deepEqual(results.map((r) => r.status), Array(8).fill(200));
      assert.equal(new Set(results.map((r) => JSON.stringify(r.body))).size, 1);
      assert.equal((await session(user, sessionId)).body.turn, 1);
    });

    it("an unknown setting is 400 unknown_setting; a known one is kept in the session's settings", async () => {
      const user = await newUser("orig");
      const { sessionId } = await newSession(user);
      const bad = await turn(user, { session_id: sessionId, input: { type: "text", text: "Hi" }, settings_patch: { mode: "dark" } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "unknown_setting");
      assert.equal(bad.body.errors[0].field, "settings_patch.mode");
      const ok = await turn(user, { session_id: sessionId, input: { type: "text", text: "Hi" }, settings_patch: { next_event_len: 3, prewarm_on_start: true } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.turn, 1);
      const { settings } = (await session(user, sessionId)).body;
      assert.equal(settings.next_event_len, 3);
      assert.equal(settings.prewarm_on_start, true);
    });

    it("someone else's session is 403; an unknown one 404; a session of a deleted story 410", async () => {
      const [owner, stranger] = await Promise.all([newUser("orig"), newUser("orig")]);
      const { storyId, sessionId } = await newSession(owner);
      const theirs = await turn(stranger, { session_id: sessionId, input: { type: "text", text: "Mine now" } });
      assert.equal(theirs.status, 403);
      const unknown = await turn(owner, { session_id: "00000000-0000-4000-8000-000000000000", input: { type: "text", text: "Hi" } });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.detail, "session not found");
      await api("DELETE", `/api/v1/stories/${storyId}`, { token: owner.token });
      const deleted = await turn(owner, { session_id: sessionId, input: { type: "text", text: "Hello?" } });
      assert.equal(deleted.status, 410);
      assert.equal((await session(owner, sessionId)).body.turn, 0);
    });

    it("malformed input is 400 naming the field: a wrong type, a choice without its id, empty text", async () => {
      const user = await newUser("orig");
      const { sessionId } = await newSession(user);
      for (const input of [{ type: "shout", text: "Hey" }, { type: "choice" }, { type: "text", text: "   " }, { type: "text" }]) {
        const res = await turn(user, { session_id: sessionId, input });
        assert.equal(res.status, 400, JSON.stringify(input));
        assert.equal(res.body.code, "validation_failed");
        assert.match(res.body.errors[0].field, /^input/, JSON.stringify(res.body.errors));
      }
    });

    it("20 parallel turns are turns 1..20 with no gap or duplicate", async () => {
      const user = await newUser("orig");
      const { sessionId } = await newSession(user);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => turn(user, { session_id: sessionId, input: { type: "text", text: `Step ${i}` } })));
      assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
      assert.deepEqual(results.map((r) => r.body.turn).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      const view = (await session(user, sessionId)).body;
      assert.equal(view.turn, 20);
      assert.equal(view.events.length, 40);
    });
  });

  describe("GET /chat/origchat/sessions/{id}", () => {
    it("is the owner's only: a stranger gets 403, an unknown or malformed id 404", async () => {
      const [owner, stranger] = await Promise.all([newUser("orig"), newUser("orig")]);
      const { sessionId } = await newSession(owner);
      assert.equal((await session(owner, sessionId)).status, 200);
      assert.equal((await session(stranger, sessionId)).status, 403);
      for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) assert.equal((await session(owner, id)).status, 404, id);
    });
  });
});
