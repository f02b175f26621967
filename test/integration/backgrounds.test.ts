import assert from "node:assert/strict";
import { api, newUser, uniqueName, userWithRoles, type TestUser } from "../support/api";

const createBackground = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/backgrounds", { token: user.token, body });
const MISSING = "00000000-0000-4000-8000-000000000000";

describe("Character backgrounds", () => {
  let maintainer: TestUser;
  before(async () => {
    maintainer = await userWithRoles("bgm", ["player", "maintainer"]);
  });

  describe("POST /backgrounds", () => {
    it("a maintainer creates a background: 201 with the stored fields", async () => {
      const name = uniqueName("Sailor");
      const res = await createBackground(maintainer, { name, description: "Grew up at sea", bonuses: { dex: 2 } });
      assert.equal(res.status, 201);
      assert.match(res.body.id, /^[0-9a-f-]{36}$/);
      assert.equal(res.body.name, name);
      assert.equal(res.body.description, "Grew up at sea");
      assert.deepEqual(res.body.bonuses, { dex: 2 });
      assert.ok(res.body.created_at && res.body.updated_at);
    });

    it("bonuses default to none", async () => {
      const res = await createBackground(maintainer, { name: uniqueName("Plain"), description: "" });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.bonuses, {});
    });

    it("an admin may create one too", async () => {
      const admin = await userWithRoles("bga", ["player", "admin"]);
      const res = await createBackground(admin, { name: uniqueName("Royal"), description: "Court life" });
      assert.equal(res.status, 201);
    });

    it("a player creating a background is 403 forbidden", async () => {
      const player = await newUser("bgp");
      const res = await createBackground(player, { name: uniqueName("Thief"), description: "Quick hands" });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "forbidden");
    });

    it("an operator is not a maintainer: 403", async () => {
      const operator = await userWithRoles("bgo", ["player", "operator"]);
      const res = await createBackground(operator, { name: uniqueName("Clerk"), description: "" });
      assert.equal(res.status, 403);
    });

    it("without a token answers 401 unauthenticated", async () => {
      const res = await api("POST", "/api/v1/backgrounds", { body: { name: "x", description: "" } });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "unauthenticated");
    });

    it("a duplicate name in another case is 409 name_taken", async () => {
      const name = uniqueName("Hermit");
      assert.equal((await createBackground(maintainer, { name, description: "" })).status, 201);
      const res = await createBackground(maintainer, { name: name.toUpperCase(), description: "again" });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, "name_taken");
    });

    it("parallel creates of one name store one background; the others are 409 name_taken", async () => {
      const name = uniqueName("Twin");
      const results = await Promise.all([name, name.toUpperCase(), name.toLowerCase()].map((n) => createBackground(maintainer, { name: n, description: "" })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
      for (const r of results.filter((r) => r.status === 409)) assert.equal(r.body.code, "name_taken");
    });

    it("a missing description, a non-numeric bonus or an unknown field is 400 validation_failed", async () => {
      const res = await createBackground(maintainer, { name: uniqueName("Bad"), bonuses: { str: "lots" }, id: MISSING });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
      assert.deepEqual(fields, ["bonuses.str", "description", "id"]);
    });
  });

  describe("GET /backgrounds", () => {
    it("any signed-in player lists backgrounds, paginated", async () => {
      await createBackground(maintainer, { name: uniqueName("Listed"), description: "" });
      await createBackground(maintainer, { name: uniqueName("Listed"), description: "" });
      const player = await newUser("bgp");
      const res = await api("GET", "/api/v1/backgrounds?limit=1", { token: player.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 1);
      assert.ok(res.body.total >= 2);
      assert.equal(res.body.limit, 1);
      assert.equal(res.body.offset, 0);
      for (const key of ["id", "name", "description", "bonuses", "created_at", "updated_at"]) assert.ok(key in res.body.items[0]);
    });

    it("without a token answers 401", async () => {
      assert.equal((await api("GET", "/api/v1/backgrounds")).status, 401);
    });
  });

  describe("PATCH /backgrounds/{id}", () => {
    it("a maintainer edits a background: 200 with the change", async () => {
      const created = await createBackground(maintainer, { name: uniqueName("Old"), description: "before" });
      const name = uniqueName("New");
      const res = await api("PATCH", `/api/v1/backgrounds/${created.body.id}`, { token: maintainer.token, body: { name, bonuses: { wis: 1 } } });
      assert.equal(res.status, 200);
      assert.equal(res.body.name, name);
      assert.equal(res.body.description, "before");
      assert.deepEqual(res.body.bonuses, { wis: 1 });
    });

    it("renaming to another background's name in any case is 409 name_taken; changing only the case of its own is fine", async () => {
      const taken = await createBackground(maintainer, { name: uniqueName("Taken"), description: "" });
      const mine = await createBackground(maintainer, { name: uniqueName("Mine"), description: "" });
      const clash = await api("PATCH", `/api/v1/backgrounds/${mine.body.id}`, { token: maintainer.token, body: { name: taken.body.name.toUpperCase() } });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.code, "name_taken");
      const recase = await api("PATCH", `/api/v1/backgrounds/${mine.body.id}`, { token: maintainer.token, body: { name: mine.body.name.toUpperCase() } });
      assert.equal(recase.status, 200);
    });

    it("an unknown or malformed id is 404 background not found", async () => {
      for (const id of [MISSING, "nope"]) {
        const res = await api("PATCH", `/api/v1/backgrounds/${id}`, { token: maintainer.token, body: { description: "x" } });
        assert.equal(res.status, 404);
        assert.equal(res.body.code, "not_found");
        assert.equal(res.body.detail, "background not found");
      }
    });

    it("a player is 403 and an unknown field is 400", async () => {
      const created = await createBackground(maintainer, { name: uniqueName("Guarded"), description: "" });
      const player = await newUser("bgp");
      const denied = await api("PATCH", `/api/v1/backgrounds/${created.body.id}`, { token: player.token, body: { description: "mine now" } });
      assert.equal(denied.status, 403);
      const unknown = await api("PATCH", `/api/v1/backgrounds/${created.body.id}`, { token: maintainer.token, body: { id: MISSING } });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body.errors, [{ field: "id", message: "is unknown" }]);
    });
  });

  describe("DELETE /backgrounds/{id}", () => {
    it("a maintainer deletes an unused background: 204, then it is gone", async () => {
      const created = await createBackground(maintainer, { name: uniqueName("Brief"), description: "" });
      const res = await api("DELETE", `/api/v1/backgrounds/${created.body.id}`, { token: maintainer.token });
      assert.equal(res.status, 204);
      const again = await api("DELETE", `/api/v1/backgrounds/${created.body.id}`, { token: maintainer.token });
      assert.equal(again.status, 404);
      assert.equal(again.body.detail, "background not found");
    });

    it("deleting a background in use is 409 in_use; once the character lets go it can be deleted", async () => {
      const background = await createBackground(maintainer, { name: uniqueName("Used"), description: "" });
      const owner = await newUser("bgc");
      const character = await api("POST", "/api/v1/characters", { token: owner.token, body: { name: "Wearer", background_id: background.body.id } });
      assert.equal(character.status, 201);
      assert.equal(character.body.background_id, background.body.id);

      const res = await api("DELETE", `/api/v1/backgrounds/${background.body.id}`, { token: maintainer.token });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, "in_use");

      await api("PATCH", `/api/v1/characters/${character.body.id}`, { token: owner.token, body: { background_id: null } });
      assert.equal((await api("DELETE", `/api/v1/backgrounds/${background.body.id}`, { token: maintainer.token })).status, 204);
    });

    it("a player deleting a background is 403", async () => {
      const created = await createBackground(maintainer, { name: uniqueName("Kept"), description: "" });
      const player = await newUser("bgp");
      const res = await api("DELETE", `/api/v1/backgrounds/${created.body.id}`, { token: player.token });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "forbidden");
    });
  });
});
