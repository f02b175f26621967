import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { api, newUser, uniqueName, userWithRoles, type TestUser } from "../support/api";

const create = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/characters", { token: user.token, body });
const PUBLIC_ONLY_ABSENT = ["stats", "zone_id", "position"];

describe("Characters", () => {
  describe("POST /characters", () => {
    it("creates a character with the default class at (0, 0) in the world zone", async () => {
      const owner = await newUser("chr");
      const res = await create(owner, { name: "Aria", description: "A bard", tags: ["music"] });
      assert.equal(res.status, 201);
      assert.match(res.body.id, /^[0-9a-f-]{36}$/);
      assert.equal(res.body.owner_id, owner.id);
      assert.equal(res.body.name, "Aria");
      assert.equal(res.body.class, "adventurer");
      assert.equal(res.body.background_id, null);
      assert.equal(res.body.is_public, false);
      assert.deepEqual(res.body.tags, ["music"]);
      assert.deepEqual(res.body.stats, {});
      assert.equal(res.body.zone_id, "starter");
      assert.deepEqual(res.body.position, { x: 0, y: 0 });
      assert.deepEqual(res.body.start_sets, []);
      assert.deepEqual(res.body.endings, []);
      for (const key of ["greeting", "image_url", "audience_slug", "style_slug", "one_line_intro", "created_at", "updated_at"]) {
        assert.ok(key in res.body, `${key} is in the full view`);
      }
    });

    it("gives start sets and endings without an id a server-side id and keeps given ids", async () => {
      const owner = await newUser("chr");
      const res = await create(owner, {
        name: "Storied",
        start_sets: [{ title: "Tavern", intro: "Rain outside.", first_line: "Sit down." }],
        endings: [{ id: "good", title: "Good", condition: "trust > 5", content: "Friends." }],
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.start_sets.length, 1);
      assert.ok(res.body.start_sets[0].id.length > 0);
      assert.equal(res.body.start_sets[0].first_line, "Sit down.");
      assert.deepEqual(res.body.endings, [{ id: "good", title: "Good", condition: "trust > 5", content: "Friends." }]);
    });

    it("an unknown background_id answers 404 background not found and stores nothing", async () => {
      const owner = await newUser("chr");
      const res = await create(owner, { name: "Lost", background_id: "00000000-0000-4000-8000-000000000000" });
      assert.equal(res.status, 404);
      assert.equal(res.body.code, "not_found");
      assert.equal(res.body.detail, "background not found");
      const list = await api("GET", "/api/v1/characters", { token: owner.token });
      assert.equal(list.body.total, 0);
    });

    it("a missing name, a position or an unknown field is 400 validation_failed naming each", async () => {
      const owner = await newUser("chr");
      const res = await create(owner, { position: { x: 5, y: 5 }, stats: { str: 99 }, owner_id: owner.id });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      const byField = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
      assert.equal(byField.name, "is required");
      assert.equal(byField.position, "is unknown");
      assert.equal(byField.stats, "is unknown");
      assert.equal(byField.owner_id, "is unknown");
    });

    it("without a token answers 401 unauthenticated", async () => {
      const res = await api("POST", "/api/v1/characters", { body: { name: "Nobody" } });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "unauthenticated");
    });
  });

  describe("GET /characters (cached list of one's own)", () => {
    it("answers miss, then hit, and lists only the caller's characters", async () => {
      const owner = await newUser("chr");
      const other = await newUser("chr");
      await create(owner, { name: "Mine" });
      await create(other, { name: "Theirs" });
      const first = await api("GET", "/api/v1/characters", { token: owner.token });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("x-cache"), "miss");
      assert.deepEqual(first.body.items.map((c: { name: string }) => c.name), ["Mine"]);
      assert.equal(first.body.total, 1);
      assert.equal(first.body.limit, 50);
      assert.equal(first.body.offset, 0);
      const second = await api("GET", "/api/v1/characters", { token: owner.token });
      assert.equal(second.headers.get("x-cache"), "hit");
      assert.deepEqual(second.body, first.body);
    });

    it("a create, a patch and a delete each invalidate the cache and the next read shows the change", async () => {
      const owner = await newUser("chr");
      const list = () => api("GET", "/api/v1/characters", { token: owner.token });
      await list();
      assert.equal((await list()).headers.get("x-cache"), "hit");

      const created = await create(owner, { name: "Fresh" });
      const afterCreate = await list();
      assert.equal(afterCreate.headers.get("x-cache"), "miss");
      assert.deepEqual(afterCreate.body.items.map((c: { id: string }) => c.id), [created.body.id]);
      assert.equal((await list()).headers.get("x-cache"), "hit");

      await api("PATCH", `/api/v1/characters/${created.body.id}`, { token: owner.token, body: { name: "Renamed" } });
      const afterPatch = await list();
      assert.equal(afterPatch.headers.get("x-cache"), "miss");
      assert.equal(afterPatch.body.items[0].name, "Renamed");
      assert.equal((await list()).headers.get("x-cache"), "hit");

      await api("DELETE", `/api/v1/characters/${created.body.id}`, { token: owner.token });
      const afterDelete = await list();
      assert.equal(afterDelete.headers.get("x-cache"), "miss");
      assert.equal(afterDelete.body.total, 0);
    });

    it("paginates with limit and offset", async () => {
      const owner = await newUser("chr");
      for (const name of ["One", "Two", "Three"]) await create(owner, { name });
      const res = await api("GET", "/api/v1/characters?limit=2&offset=1", { token: owner.token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.items.map((c: { name: string }) => c.name), ["Two", "Three"]);
      assert.equal(res.body.total, 3);
      assert.equal(res.body.limit, 2);
      assert.equal(res.body.offset, 1);
    });

    it("an invalid limit is 400 validation_failed", async () => {
      const owner = await newUser("chr");
      const res = await api("GET", "/api/v1/characters?limit=0", { token: owner.token });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
    });
  });

  describe("GET /characters/public", () => {
    it("lists public characters only, in the public view, filtered by name substring in any case and by tag", async () => {
      const owner = await newUser("chr");
      const viewer = await newUser("chr");
      const marker = uniqueName("Zed").replace(/_/g, "x");
      await create(owner, { name: `${marker} Lantern`, is_public: true, tags: ["light", marker] });
      await create(owner, { name: `${marker} Shadow`, is_public: true, tags: ["dark", marker] });
      await create(owner, { name: `${marker} Hidden`, is_public: false, tags: ["light", marker] });

      const byName = await api("GET", `/api/v1/characters/public?q=${encodeURIComponent(marker.toUpperCase())}`, { token: viewer.token });
      assert.equal(byName.status, 200);
      assert.deepEqual(byName.body.items.map((c: { name: string }) => c.name).sort(), [`${marker} Lantern`, `${marker} Shadow`]);
      assert.equal(byName.body.total, 2);
      for (const item of byName.body.items) for (const key of PUBLIC_ONLY_ABSENT) assert.ok(!(key in item), `${key} is hidden`);

      const byTag = await api("GET", `/api/v1/characters/public?q=${encodeURIComponent(marker)}&tag=light`, { token: viewer.token });
      assert.deepEqual(byTag.body.items.map((c: { name: string }) => c.name), [`${marker} Lantern`]);

      const onlyTag = await api("GET", `/api/v1/characters/public?tag=${encodeURIComponent(marker)}&limit=1`, { token: viewer.token });
      assert.equal(onlyTag.body.total, 2);
      assert.equal(onlyTag.body.items.length, 1);
    });

    it("treats % and _ in q as plain characters", async () => {
      const viewer = await newUser("chr");
      const res = await api("GET", `/api/v1/characters/public?q=${encodeURIComponent("%_no_such_%")}`, { token: viewer.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 0);
    });

    it("an unknown query parameter is 400 and no token is 401", async () => {
      const viewer = await newUser("chr");
      const unknown = await api("GET", "/api/v1/characters/public?sort=name", { token: viewer.token });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.code, "validation_failed");
      assert.equal((await api("GET", "/api/v1/characters/public")).status, 401);
    });
  });

  describe("GET /characters/{id}", () => {
    it("the owner gets the full view", async () => {
      const owner = await newUser("chr");
      const created = await create(owner, { name: "Own" });
      const res = await api("GET", `/api/v1/characters/${created.body.id}`, { token: owner.token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, created.body);
    });

    it("a stranger reading a private character is 403 forbidden", async () => {
      const owner = await newUser("chr");
      const stranger = await newUser("chr");
      const created = await create(owner, { name: "Secret" });
      const res = await api("GET", `/api/v1/characters/${created.body.id}`, { token: stranger.token });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "forbidden");
    });

    it("a stranger reading a public character gets the public view without stats, zone_id or position", async () => {
      const owner = await newUser("chr");
      const stranger = await newUser("chr");
      const created = await create(owner, { name: "Open", is_public: true });
      const res = await api("GET", `/api/v1/characters/${created.body.id}`, { token: stranger.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.name, "Open");
      assert.equal(res.body.owner_id, owner.id);
      for (const key of PUBLIC_ONLY_ABSENT) assert.ok(!(key in res.body), `${key} is hidden`);
    });

    it("an operator and an admin get the full view of someone's private character", async () => {
      const owner = await newUser("chr");
      const created = await create(owner, { name: "Watched" });
      for (const staff of [await userWithRoles("chro", ["player", "operator"]), await userWithRoles("chra", ["player", "admin"])]) {
        const res = await api("GET", `/api/v1/characters/${created.body.id}`, { token: staff.token });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, created.body);
      }
    });

    it("a maintainer is not staff for characters: a private one is 403", async () => {
      const owner = await newUser("chr");
      const maintainer = await userWithRoles("chrm", ["player", "maintainer"]);
      const created = await create(owner, { name: "Curated" });
      assert.equal((await api("GET", `/api/v1/characters/${created.body.id}`, { token: maintainer.token })).status, 403);
    });

    it("an unknown id and a malformed id are both 404 character not found", async () => {
      const user = await newUser("chr");
      for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
        const res = await api("GET", `/api/v1/characters/${id}`, { token: user.token });
        assert.equal(res.status, 404);
        assert.equal(res.body.code, "not_found");
        assert.equal(res.body.detail, "character not found");
      }
    });
  });

  describe("PATCH /characters/{id}", () => {
    it("the owner edits the editable fields and gets the full view", async () => {
      const owner = await newUser("chr");
      const created = await create(owner, { name: "Before" });
      const res = await api("PATCH", `/api/v1/characters/${created.body.id}`, {
        token: owner.token,
        body: {
          name: "After",
          class: "mage",
          is_public: true,
          tags: ["arcane"],
          image_url: "https://img.example.test/a.png",
          one_line_intro: "Knows things.",
          endings: [{ title: "Bad", condition: "trust < 0", content: "Alone." }],
        },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.name, "After");
      assert.equal(res.body.class, "mage");
      assert.equal(res.body.is_public, true);
      assert.deepEqual(res.body.tags, ["arcane"]);
      assert.equal(res.body.image_url, "https://img.example.test/a.png");
      assert.equal(res.body.one_line_intro, "Knows things.");
      assert.equal(res.body.endings.length, 1);
      assert.ok(res.body.endings[0].id);
      assert.deepEqual(res.body.position, { x: 0, y: 0 });
      assert.equal(res.body.created_at, created.body.created_at);
    });

    it("position, zone_id, x, y, stats, owner_id or an unknown field is 400 validation_failed and changes nothing", async () => {
      const owner = await newUser("chr");
      const created = await create(owner, { name: "Fixed" });
      for (const body of [{ position: { x: 9, y: 9 } }, { zone_id: "elsewhere" }, { x: 1 }, { y: 1 }, { stats: { str: 1 } }, { owner_id: owner.id }, { level: 99 }]) {
        const res = await api("PATCH", `/api/v1/characters/${created.body.id}`, { token: owner.token, body: { name: "Changed", ...body } });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.code, "validation_failed");
        assert.deepEqual(res.body.errors, [{ field: Object.keys(body)[0], message: "is unknown" }]);
      }
      const after = await api("GET", `/api/v1/characters/${created.body.id}`, { token: owner.token });
      assert.equal(after.body.name, "Fixed");
    });

    it("someone else's character is 403 forbidden", async () => {
      const owner = await newUser("chr");
      const stranger = await newUser("chr");
      const created = await create(owner, { name: "NotYours", is_public: true });
      const res = await api("PATCH", `/api/v1/characters/${created.body.id}`, { token: stranger.token, body: { name: "Taken" } });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "forbidden");
    });

    it("even an admin may not edit someone else's character: 403", async () => {
      const owner = await newUser("chr");
      const admin = await userWithRoles("chra", ["player", "admin"]);
      const created = await create(owner, { name: "Untouched" });
      const res = await api("PATCH", `/api/v1/characters/${created.body.id}`, { token: admin.token, body: { name: "Touched" } });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "forbidden");
    });

    it("an unknown character is 404 and an unknown background_id is 404 background not found", async () => {
      const owner = await newUser("chr");
      const missing = await api("PATCH", "/api/v1/characters/00000000-0000-4000-8000-000000000000", { token: owner.token, body: { name: "X" } });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.detail, "character not found");
      const created = await create(owner, { name: "Bg" });
      const res = await api("PATCH", `/api/v1/characters/${created.body.id}`, {
        token: owner.token,
        body: { background_id: "00000000-0000-4000-8000-000000000000" },
      });
      assert.equal(res.status, 404);
      assert.equal(res.body.detail, "background not found");
    });
  });

  describe("DELETE /characters/{id}", () => {
    it("the owner deletes a character: 204, then 404", async () => {
      const owner = await newUser("chr");
      const created = await create(owner, { name: "Gone" });
      const res = await api("DELETE", `/api/v1/characters/${created.body.id}`, { token: owner.token });
      assert.equal(res.status, 204);
      assert.equal(res.body, "");
      const after = await api("GET", `/api/v1/characters/${created.body.id}`, { token: owner.token });
      assert.equal(after.status, 404);
    });

    it("someone else's character is 403 forbidden and stays", async () => {
      const owner = await newUser("chr");
      const stranger = await newUser("chr");
      const created = await create(owner, { name: "Stays", is_public: true });
      const res = await api("DELETE", `/api/v1/characters/${created.body.id}`, { token: stranger.token });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "forbidden");
      assert.equal((await api("GET", `/api/v1/characters/${created.body.id}`, { token: owner.token })).status, 200);
    });

    it("an admin deletes someone else's character and the owner's cached list drops it", async () => {
      const owner = await newUser("chr");
      const admin = await userWithRoles("chra", ["player", "admin"]);
      const created = await create(owner, { name: "Banned" });
      await api("GET", "/api/v1/characters", { token: owner.token });
      const res = await api("DELETE", `/api/v1/characters/${created.body.id}`, { token: admin.token });
      assert.equal(res.status, 204);
      const list = await api("GET", "/api/v1/characters", { token: owner.token });
      assert.equal(list.headers.get("x-cache"), "miss");
      assert.equal(list.body.total, 0);
    });

    it("an operator may not delete someone else's character: 403", async () => {
      const owner = await newUser("chr");
      const operator = await userWithRoles("chro", ["player", "operator"]);
      const created = await create(owner, { name: "Supported" });
      assert.equal((await api("DELETE", `/api/v1/characters/${created.body.id}`, { token: operator.token })).status, 403);
    });

    it("an unknown character is 404", async () => {
      const owner = await newUser("chr");
      const res = await api("DELETE", "/api/v1/characters/not-a-uuid", { token: owner.token });
      assert.equal(res.status, 404);
      assert.equal(res.body.detail, "character not found");
    });
  });

  // Only Redis lets a second process listen on the server's bus; the embedded run covers
  // the event in test/unit/character-events.test.ts.
  const redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl) {
    describe("character.created across processes", () => {
      it("a Redis subscriber of events.character.created receives the new character's id", async () => {
        const owner = await newUser("chr");
        const subscriber = new Redis(redisUrl);
        try {
          await subscriber.subscribe("events.character.created");
          const events: Array<{ type: string; data: Record<string, string> }> = [];
          subscriber.on("message", (_channel, message: string) => events.push(JSON.parse(message)));
          const created = await create(owner, { name: "Announced" });
          assert.equal(created.status, 201);
          let mine: { type: string; data: Record<string, string> } | undefined;
          while (!(mine = events.find((e) => e.data.character_id === created.body.id))) await new Promise((r) => setTimeout(r, 20));
          assert.equal(mine.type, "character.created");
          assert.deepEqual(mine.data, { character_id: created.body.id, owner_id: owner.id, name: "Announced", zone_id: "starter" });
        } finally {
          subscriber.disconnect();
        }
      });
    });
  }
});
