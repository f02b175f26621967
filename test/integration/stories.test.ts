import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { adminUser, api, newUser, userWithRoles, type TestUser } from "../support/api";

const write = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/stories", { token: user.token, body });

async function story(user: TestUser, body: Record<string, unknown> = {}) {
  const res = await write(user, { title: "The Lantern", content: "Mara lit the lamps.", ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; [k: string]: any };
}

const get = (id: string, token?: string) => api("GET", `/api/v1/stories/${id}`, { token });

describe("Stories", () => {
  describe("POST /stories", () => {
    it("writes a private story by default, with zero counts and chat_starts", async () => {
      const owner = await newUser("sto");
      const res = await write(owner, { title: "  The Lantern ", content: "Mara lit the lamps.", summary: "Lamps.", genre: "fantasy", tags: ["Lamps", "lamps", "night"] });
      assert.equal(res.status, 201);
      const s = res.body;
      assert.match(s.id, /^[0-9a-f-]{36}$/);
      assert.equal(s.owner_id, owner.id);
      assert.equal(s.title, "The Lantern");
      assert.equal(s.content, "Mara lit the lamps.");
      assert.equal(s.summary, "Lamps.");
      assert.equal(s.genre, "fantasy");
      assert.deepEqual(s.tags, ["lamps", "night"]);
      assert.equal(s.is_public, false);
      assert.equal(s.like_count, 0);
      assert.equal(s.comment_count, 0);
      assert.equal(s.chat_starts, 0);
      assert.ok(Date.parse(s.created_at) && Date.parse(s.updated_at));
    });

    it("a missing title or content, an unknown field or a NUL byte is 400 validation_failed naming each", async () => {
      const owner = await newUser("sto");
      const res = await write(owner, { summary: "x", owner_id: owner.id, like_count: 9 });
      assert.equal(res.status, 400);
      const byField = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
      assert.equal(byField.title, "is required");
      assert.equal(byField.content, "is required");
      assert.equal(byField.owner_id, "is unknown");
      assert.equal(byField.like_count, "is unknown");
      const nul = await write(owner, { title: "a\u0000b", content: "x" });
      assert.equal(nul.status, 400);
      assert.equal(nul.body.errors[0].field, "title");
    });

    it("without a token answers 401", async () => {
      const res = await api("POST", "/api/v1/stories", { body: { title: "t", content: "c" } });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "unauthenticated");
    });
  });

  describe("GET /stories/{id}: the private guard and soft delete", () => {
    it("a public story is readable by a stranger and without a token", async () => {
      const owner = await newUser("sto");
      const s = await story(owner, { is_public: true });
      const stranger = await newUser("sto");
      assert.equal((await get(s.id, stranger.token)).status, 200);
      const anonymous = await get(s.id);
      assert.equal(anonymous.status, 200);
      assert.equal(anonymous.body.title, "The Lantern");
    });

    it("a stranger reading a private story gets 403; without a token 401; the owner and an admin 200", async () => {
      const owner = await newUser("sto");
      const s = await story(owner);
      const stranger = await newUser("sto");
      const denied = await get(s.id, stranger.token);
      assert.equal(denied.status, 403);
      assert.equal(denied.body.code, "forbidden");
      assert.equal((await get(s.id)).status, 401);
      assert.equal((await get(s.id, owner.token)).status, 200);
      assert.equal((await get(s.id, (await adminUser()).token)).status, 200);
      const operator = await userWithRoles("stoop", ["operator"]);
      assert.equal((await get(s.id, operator.token)).status, 403);
    });

    it("a stranger reading a private story's context or extracted characters gets 403 too", async () => {
      const owner = await newUser("sto");
      const s = await story(owner);
      const stranger = await newUser("sto");
      for (const path of ["context", "extracted-characters"]) {
        const res = await api("GET", `/api/v1/stories/${s.id}/${path}`, { token: stranger.token });
        assert.equal(res.status, 403, path);
      }
      const context = await api("GET", `/api/v1/stories/${s.id}/context`, { token: owner.token });
      assert.equal(context.status, 200);
      assert.deepEqual(context.body.extracted_characters, []);
      assert.equal(context.body.id, s.id);
    });

    it("an unknown or malformed id is 404 story not found", async () => {
      const user = await newUser("sto");
      for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "1%27%20OR%201=1"]) {
        const res = await get(id, user.token);
        assert.equal(res.status, 404, id);
        assert.equal(res.body.detail, "story not found");
      }
    });

    it("reading a deleted story answers 410 gone, for the owner, a stranger and an admin, on every read route", async () => {
      const owner = await newUser("sto");
      const s = await story(owner, { is_public: true });
      assert.equal((await api("DELETE", `/api/v1/stories/${s.id}`, { token: owner.token })).status, 204);
      const stranger = await newUser("sto");
      for (const token of [owner.token, stranger.token, (await adminUser()).token]) {
        const res = await get(s.id, token);
        assert.equal(res.status, 410);
        assert.equal(res.body.code, "gone");
        assert.equal(res.body.detail, "story was deleted");
      }
      for (const path of ["context", "extracted-characters", "comments"]) {
        assert.equal((await api("GET", `/api/v1/stories/${s.id}/${path}`, { token: owner.token })).status, 410, path);
      }
      assert.equal((await api("PATCH", `/api/v1/stories/${s.id}`, { token: owner.token, body: { title: "Back" } })).status, 410);
      assert.equal((await api("DELETE", `/api/v1/stories/${s.id}`, { token: owner.token })).status, 410);
    });

    it("chat_starts shows origchat's start counter for the story", async () => {
      const owner = await newUser("sto");
      const s = await story(owner, { is_public: true });
      await matchMaker.presence.incr(`origchat:story:${s.id}:starts`);
      await matchMaker.presence.incr(`origchat:story:${s.id}:starts`);
      assert.equal((await get(s.id, owner.token)).body.chat_starts, 2);
      const listed = await api("GET", `/api/v1/stories?scope=mine`, { token: owner.token });
      assert.equal(listed.body.items.find((x: { id: string }) => x.id === s.id).chat_starts, 2);
    });
  });

  describe("PATCH /stories/{id}", () => {
    it("the owner changes any field", async () => {
      const owner = await newUser("sto");
      const s = await story(owner);
      const res = await api("PATCH", `/api/v1/stories/${s.id}`, { token: owner.token, body: { title: "New", content: "More", summary: "S", genre: null, tags: ["a"], is_public: true } });
      assert.equal(res.status, 200);
      assert.equal(res.body.title, "New");
      assert.equal(res.body.content, "More");
      assert.equal(res.body.genre, null);
      assert.deepEqual(res.body.tags, ["a"]);
      assert.equal(res.body.is_public, true);
    });

    it("an admin changing the title of someone else's story gets 403 and nothing changes; its visibility, 200", async () => {
      const owner = await newUser("sto");
      const s = await story(owner);
      const admin = await adminUser();
      const title = await api("PATCH", `/api/v1/stories/${s.id}`, { token: admin.token, body: { title: "Admin was here", is_public: true } });
      assert.equal(title.status, 403);
      assert.equal(title.body.code, "forbidden");
      const unchanged = await get(s.id, owner.token);
      assert.equal(unchanged.body.title, "The Lantern");
      assert.equal(unchanged.body.is_public, false);
      const visibility = await api("PATCH", `/api/v1/stories/${s.id}`, { token: admin.token, body: { is_public: true } });
      assert.equal(visibility.status, 200);
      assert.equal(visibility.body.is_public, true);
      assert.equal(visibility.body.title, "The Lantern");
    });

    it("a stranger, or a maintainer who is not the owner, gets 403", async () => {
      const owner = await newUser("sto");
      const s = await story(owner);
      const stranger = await newUser("sto");
      const maintainer = await userWithRoles("stomt", ["maintainer"]);
      for (const token of [stranger.token, maintainer.token]) {
        assert.equal((await api("PATCH", `/api/v1/stories/${s.id}`, { token, body: { is_public: true } })).status, 403);
      }
    });

    it("an unknown field is 400 and an unknown story 404", async () => {
      const owner = await newUser("sto");
      const s = await story(owner);
      const bad = await api("PATCH", `/api/v1/stories/${s.id}`, { token: owner.token, body: { owner_id: owner.id } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].field, "owner_id");
      const missing = await api("PATCH", `/api/v1/stories/00000000-0000-4000-8000-000000000000`, { token: owner.token, body: { title: "x" } });
      assert.equal(missing.status, 404);
    });
  });

  describe("DELETE /stories/{id}", () => {
    it("a stranger gets 403; an admin may delete someone else's story, which leaves every list", async () => {
      const owner = await newUser("sto");
      const s = await story(owner, { is_public: true, title: "Doomed tale" });
      const stranger = await newUser("sto");
      assert.equal((await api("DELETE", `/api/v1/stories/${s.id}`, { token: stranger.token })).status, 403);
      assert.equal((await get(s.id, stranger.token)).status, 200);
      assert.equal((await api("DELETE", `/api/v1/stories/${s.id}`, { token: (await adminUser()).token })).status, 204);
      const mine = await api("GET", "/api/v1/stories?scope=mine", { token: owner.token });
      assert.ok(!mine.body.items.some((x: { id: string }) => x.id === s.id));
      const found = await api("GET", `/api/v1/stories?q=Doomed`, { token: owner.token });
      assert.equal(found.body.total, 0);
    });
  });

  describe("GET /stories: scopes and filters", () => {
    it("scope=public lists public stories of everyone, newest first; scope=mine the caller's, private ones too", async () => {
      const [alice, bob] = await Promise.all([newUser("sta"), newUser("stb")]);
      const marker = `m${Date.now().toString(36)}`;
      const a1 = await story(alice, { title: `${marker} one`, is_public: true });
      const a2 = await story(alice, { title: `${marker} two` });
      const b1 = await story(bob, { title: `${marker} three`, is_public: true });
      const pub = await api("GET", `/api/v1/stories?q=${marker}`, { token: alice.token });
      assert.equal(pub.status, 200);
      assert.deepEqual(pub.body.items.map((x: { id: string }) => x.id), [b1.id, a1.id]);
      assert.equal(pub.body.total, 2);
      const mine = await api("GET", `/api/v1/stories?scope=mine`, { token: alice.token });
      assert.deepEqual(mine.body.items.map((x: { id: string }) => x.id), [a2.id, a1.id]);
      assert.deepEqual([mine.body.limit, mine.body.offset], [50, 0]);
    });

    it("q matches title or summary case-insensitively, wildcards literally; tag filters; limit and offset page", async () => {
      const owner = await newUser("stq");
      const marker = `q${Date.now().toString(36)}`;
      await story(owner, { title: `${marker} Harbour 100%`, tags: ["sea"], is_public: true });
      await story(owner, { title: "Plain", summary: `about the ${marker} HARBOUR`, tags: ["land"], is_public: true });
      const both = await api("GET", `/api/v1/stories?q=${marker}%20harbour`, { token: owner.token });
      assert.equal(both.body.total, 2);
      const literal = await api("GET", `/api/v1/stories?q=${encodeURIComponent(`${marker} Harbour 1%`)}`, { token: owner.token });
      assert.equal(literal.body.total, 0);
      const tagged = await api("GET", `/api/v1/stories?q=${marker}&tag=sea`, { token: owner.token });
      assert.deepEqual(tagged.body.items.map((x: { title: string }) => x.title), [`${marker} Harbour 100%`]);
      const paged = await api("GET", `/api/v1/stories?q=${marker}&limit=1&offset=1`, { token: owner.token });
      assert.equal(paged.body.items.length, 1);
      assert.equal(paged.body.total, 2);
    });

    it("an unknown scope or parameter is 400; no token is 401", async () => {
      const user = await newUser("stq");
      assert.equal((await api("GET", "/api/v1/stories?scope=all", { token: user.token })).status, 400);
      assert.equal((await api("GET", "/api/v1/stories?owner=me", { token: user.token })).status, 400);
      assert.equal((await api("GET", "/api/v1/stories")).status, 401);
    });
  });

  describe("likes", () => {
    it("liking a public story is idempotent and counted per user; unliking likewise", async () => {
      const owner = await newUser("stl");
      const s = await story(owner, { is_public: true });
      const [a, b] = await Promise.all([newUser("stl"), newUser("stl")]);
      const like = (u: TestUser, method = "POST") => api(method, `/api/v1/stories/${s.id}/like`, { token: u.token });
      assert.equal((await like(a)).status, 204);
      assert.equal((await like(a)).status, 204);
      assert.equal((await get(s.id, a.token)).body.like_count, 1);
      await like(b);
      assert.equal((await get(s.id, a.token)).body.like_count, 2);
      assert.equal((await like(a, "DELETE")).status, 204);
      assert.equal((await like(a, "DELETE")).status, 204);
      assert.equal((await get(s.id, a.token)).body.like_count, 1);
    });

    it("ten parallel likes by one user count once", async () => {
      const owner = await newUser("stl");
      const s = await story(owner, { is_public: true });
      const fan = await newUser("stl");
      const statuses = await Promise.all(Array.from({ length: 10 }, () => api("POST", `/api/v1/stories/${s.id}/like`, { token: fan.token }).then((r) => r.status)));
      assert.deepEqual(new Set(statuses), new Set([204]));
      assert.equal((await get(s.id, fan.token)).body.like_count, 1);
    });

    it("liking a private story answers 403 story_not_public, even for its owner", async () => {
      const owner = await newUser("stl");
      const s = await story(owner);
      for (const [user, method] of [[owner, "POST"], [await newUser("stl"), "POST"], [owner, "DELETE"]] as const) {
        const res = await api(method, `/api/v1/stories/${s.id}/like`, { token: user.token });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, "story_not_public");
      }
      assert.equal((await get(s.id, owner.token)).body.like_count, 0);
    });

    it("liking an unknown story is 404 and a deleted one 410", async () => {
      const owner = await newUser("stl");
      assert.equal((await api("POST", `/api/v1/stories/00000000-0000-4000-8000-000000000000/like`, { token: owner.token })).status, 404);
      const s = await story(owner, { is_public: true });
      await api("DELETE", `/api/v1/stories/${s.id}`, { token: owner.token });
      assert.equal((await api("POST", `/api/v1/stories/${s.id}/like`, { token: owner.token })).status, 410);
    });
  });

  describe("comments", () => {
    it("anyone signed in comments on a public story; the thread lists oldest first with authors, and the story counts them", async () => {
      const owner = await newUser("stc");
      const s = await story(owner, { is_public: true });
      const reader = await newUser("stc");
      const first = await api("POST", `/api/v1/stories/${s.id}/comments`, { token: reader.token, body: { content: "  Lovely.  " } });
      assert.equal(first.status, 201);
      assert.equal(first.body.content, "Lovely.");
      assert.equal(first.body.author_id, reader.id);
      assert.equal(first.body.author_username, reader.username);
      assert.equal(first.body.story_id, s.id);
      await api("POST", `/api/v1/stories/${s.id}/comments`, { token: owner.token, body: { content: "Thanks!" } });
      const thread = await api("GET", `/api/v1/stories/${s.id}/comments`, { token: reader.token });
      assert.equal(thread.status, 200);
      assert.deepEqual(thread.body.items.map((c: { content: string }) => c.content), ["Lovely.", "Thanks!"]);
      assert.equal(thread.body.total, 2);
      assert.equal((await get(s.id, reader.token)).body.comment_count, 2);
    });

    it("commenting on a private story as non-owner is 403 (an admin too); the owner may", async () => {
      const owner = await newUser("stc");
      const s = await story(owner);
      for (const token of [(await newUser("stc")).token, (await adminUser()).token]) {
        assert.equal((await api("POST", `/api/v1/stories/${s.id}/comments`, { token, body: { content: "Hi" } })).status, 403);
        assert.equal((await api("GET", `/api/v1/stories/${s.id}/comments`, { token })).status, 403);
      }
      assert.equal((await api("POST", `/api/v1/stories/${s.id}/comments`, { token: owner.token, body: { content: "Note to self" } })).status, 201);
      assert.equal((await api("GET", `/api/v1/stories/${s.id}/comments`, { token: owner.token })).body.total, 1);
    });

    it("an empty or too long comment is 400, and nothing is counted", async () => {
      const owner = await newUser("stc");
      const s = await story(owner, { is_public: true });
      for (const content of ["   ", "x".repeat(2001)]) {
        const res = await api("POST", `/api/v1/stories/${s.id}/comments`, { token: owner.token, body: { content } });
        assert.equal(res.status, 400);
        assert.equal(res.body.errors[0].field, "content");
      }
      assert.equal((await get(s.id, owner.token)).body.comment_count, 0);
    });
  });
});
