import assert from "node:assert/strict";
import { adminUser, api, newUser, uniqueName, userWithRoles, type TestUser } from "../support/api";
import { addMember, claimsOf, createSite, selectSite, siteMember, type TestSite } from "../support/sites";

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("Sites and memberships", () => {
  let admin: { id: string; token: string };
  before(async () => {
    admin = await adminUser();
  });

  describe("POST /sites", () => {
    it("an admin creates a site: 201 with Location and the stored fields", async () => {
      const slug = uniqueName("north").toLowerCase().replace(/_/g, "-");
      const res = await api("POST", "/api/v1/sites", { token: admin.token, body: { name: "  The North  ", slug } });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get("location"), `/api/v1/sites/${res.body.id}`);
      assert.deepEqual({ name: res.body.name, slug: res.body.slug }, { name: "The North", slug });
      assert.ok(Date.parse(res.body.created_at));
    });

    it("a slug already taken is 409 slug_taken, also when parallel creates race for it", async () => {
      const slug = uniqueName("twin").toLowerCase().replace(/_/g, "-");
      const results = await Promise.all([1, 2, 3].map((n) => api("POST", "/api/v1/sites", { token: admin.token, body: { name: `Twin ${n}`, slug } })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
      for (const r of results.filter((r) => r.status === 409)) assert.equal(r.body.code, "slug_taken");
      const again = await api("POST", "/api/v1/sites", { token: admin.token, body: { name: "Later", slug } });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, "slug_taken");
    });

    it("a player, an operator and a site manager creating a site are 403; no token is 401", async () => {
      const site = await createSite(admin.token);
      const manager = await siteMember(site.id, "manager");
      const operator = await userWithRoles("sop", ["player", "operator"]);
      for (const user of [await newUser("sp"), operator, manager]) {
        const res = await api("POST", "/api/v1/sites", { token: user.token, body: { name: "Mine", slug: uniqueName("m").replace(/_/g, "-") } });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, "forbidden");
      }
      assert.equal((await api("POST", "/api/v1/sites", { body: { name: "x", slug: "xx" } })).status, 401);
    });

    it("a bad slug, an empty name and an unknown field are 400 validation_failed naming each", async () => {
      const res = await api("POST", "/api/v1/sites", { token: admin.token, body: { name: "   ", slug: "Has Spaces", owner_id: MISSING } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field).sort(), ["name", "owner_id", "slug"]);
    });
  });

  describe("reading sites", () => {
    let siteA: TestSite;
    let siteB: TestSite;
    let staffA: TestUser;
    let managerA: TestUser;
    let outsider: TestUser;
    before(async () => {
      siteA = await createSite(admin.token);
      siteB = await createSite(admin.token);
      staffA = await siteMember(siteA.id, "staff");
      managerA = await siteMember(siteA.id, "manager", "manager");
      outsider = await newUser("outsider");
    });

    it("GET /sites: a member sees only their sites, a non-member none, an admin every site", async () => {
      const mine = await api("GET", "/api/v1/sites", { token: staffA.token });
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.items.map((s: { id: string }) => s.id), [siteA.id]);
      assert.equal(mine.body.total, 1);
      const none = await api("GET", "/api/v1/sites", { token: outsider.token });
      assert.deepEqual({ items: none.body.items, total: none.body.total }, { items: [], total: 0 });
      const all = await api("GET", "/api/v1/sites?limit=100", { token: admin.token });
      const ids = all.body.items.map((s: { id: string }) => s.id);
      assert.ok(ids.includes(siteA.id) && ids.includes(siteB.id));
      assert.ok(all.body.total >= 2);
    });

    it("GET /sites/{id}: 200 for a member and an admin, 403 for a non-member, 404 for an unknown or malformed id", async () => {
      const member = await api("GET", `/api/v1/sites/${siteA.id}`, { token: staffA.token });
      assert.equal(member.status, 200);
      assert.deepEqual(member.body, { id: siteA.id, name: siteA.name, slug: siteA.slug, created_at: member.body.created_at });
      assert.equal((await api("GET", `/api/v1/sites/${siteA.id}`, { token: admin.token })).status, 200);
      const other = await api("GET", `/api/v1/sites/${siteB.id}`, { token: staffA.token });
      assert.equal(other.status, 403);
      assert.equal(other.body.code, "forbidden");
      for (const id of [MISSING, "not-a-uuid"]) {
        const res = await api("GET", `/api/v1/sites/${id}`, { token: staffA.token });
        assert.equal(res.status, 404);
        assert.equal(res.body.detail, "site not found");
      }
    });

    it("GET /sites/{id}/users: a manager and an admin list the members; staff and non-members are 403", async () => {
      const listed = await api("GET", `/api/v1/sites/${siteA.id}/users`, { token: managerA.token });
      assert.equal(listed.status, 200);
      assert.equal(listed.body.total, 2);
      const byId = Object.fromEntries(listed.body.items.map((m: { user_id: string }) => [m.user_id, m]));
      assert.deepEqual(byId[staffA.id], { user_id: staffA.id, username: staffA.username, site_role: "staff" });
      assert.deepEqual(byId[managerA.id], { user_id: managerA.id, username: managerA.username, site_role: "manager" });
      assert.equal((await api("GET", `/api/v1/sites/${siteA.id}/users`, { token: admin.token })).body.total, 2);
      for (const user of [staffA, outsider]) {
        const res = await api("GET", `/api/v1/sites/${siteA.id}/users`, { token: user.token });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, "forbidden");
      }
      // A manager of one site is nobody on another.
      assert.equal((await api("GET", `/api/v1/sites/${siteB.id}/users`, { token: managerA.token })).status, 403);
      assert.equal((await api("GET", `/api/v1/sites/${MISSING}/users`, { token: managerA.token })).status, 404);
    });

    it("GET /sites/{id}/users pages with the right total", async () => {
      const site = await createSite(admin.token);
      const manager = await siteMember(site.id, "manager");
      for (let i = 0; i < 4; i++) await addMember(site.id, (await newUser("pm")).id);
      const first = await api("GET", `/api/v1/sites/${site.id}/users?limit=2`, { token: manager.token });
      const rest = await api("GET", `/api/v1/sites/${site.id}/users?limit=2&offset=2`, { token: manager.token });
      const last = await api("GET", `/api/v1/sites/${site.id}/users?limit=2&offset=4`, { token: manager.token });
      assert.deepEqual([first.body.total, rest.body.total, last.body.total], [5, 5, 5]);
      const ids = [...first.body.items, ...rest.body.items, ...last.body.items].map((m: { user_id: string }) => m.user_id);
      assert.equal(new Set(ids).size, 5);
    });

    it("GET /users/me/sites lists the caller's sites with their site role", async () => {
      await addMember(siteB.id, managerA.id, "staff");
      const res = await api("GET", "/api/v1/users/me/sites", { token: managerA.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 2);
      const roles = Object.fromEntries(res.body.items.map((s: { id: string; site_role: string }) => [s.id, s.site_role]));
      assert.deepEqual(roles, { [siteA.id]: "manager", [siteB.id]: "staff" });
      const item = res.body.items.find((s: { id: string }) => s.id === siteA.id);
      assert.deepEqual(Object.keys(item).sort(), ["created_at", "id", "name", "site_role", "slug"]);
      const none = await api("GET", "/api/v1/users/me/sites", { token: outsider.token });
      assert.deepEqual({ items: none.body.items, total: none.body.total }, { items: [], total: 0 });
    });
  });

  describe("managing members", () => {
    let site: TestSite;
    before(async () => {
      site = await createSite(admin.token);
    });

    it("an admin adds a member: 201 {user_id, username, site_role}; adding them again is 409 already_member", async () => {
      const user = await newUser("joiner");
      const res = await api("POST", `/api/v1/sites/${site.id}/users`, { token: admin.token, body: { user_id: user.id, site_role: "manager" } });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, { user_id: user.id, username: user.username, site_role: "manager" });
      const again = await api("POST", `/api/v1/sites/${site.id}/users`, { token: admin.token, body: { user_id: user.id, site_role: "staff" } });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, "already_member");
    });

    it("parallel adds of one user store one membership; the others are 409", async () => {
      const user = await newUser("racer");
      const results = await Promise.all(
        [1, 2, 3].map(() => api("POST", `/api/v1/sites/${site.id}/users`, { token: admin.token, body: { user_id: user.id, site_role: "staff" } })),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
    });

    it("an unknown user or site is 404; a bad role or an unknown field is 400", async () => {
      const user = await newUser("nobody");
      const noUser = await api("POST", `/api/v1/sites/${site.id}/users`, { token: admin.token, body: { user_id: MISSING, site_role: "staff" } });
      assert.equal(noUser.status, 404);
      assert.equal(noUser.body.detail, "user not found");
      const noSite = await api("POST", `/api/v1/sites/${MISSING}/users`, { token: admin.token, body: { user_id: user.id, site_role: "staff" } });
      assert.equal(noSite.status, 404);
      assert.equal(noSite.body.detail, "site not found");
      const bad = await api("POST", `/api/v1/sites/${site.id}/users`, { token: admin.token, body: { user_id: user.id, site_role: "owner", admin: true } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field).sort(), ["admin", "site_role"]);
    });

    it("only an admin manages members: a site manager adding or removing one is 403", async () => {
      const manager = await siteMember(site.id, "manager");
      const user = await newUser("hopeful");
      const add = await api("POST", `/api/v1/sites/${site.id}/users`, { token: manager.token, body: { user_id: user.id, site_role: "staff" } });
      assert.equal(add.status, 403);
      const remove = await api("DELETE", `/api/v1/sites/${site.id}/users/${manager.id}`, { token: manager.token });
      assert.equal(remove.status, 403);
    });

    it("DELETE removes a member: 204, then 404 for them, for an unknown site and for a malformed id", async () => {
      const member = await siteMember(site.id);
      assert.equal((await api("DELETE", `/api/v1/sites/${site.id}/users/${member.id}`, { token: admin.token })).status, 204);
      const again = await api("DELETE", `/api/v1/sites/${site.id}/users/${member.id}`, { token: admin.token });
      assert.equal(again.status, 404);
      assert.equal(again.body.detail, "site member not found");
      assert.equal((await api("DELETE", `/api/v1/sites/${MISSING}/users/${member.id}`, { token: admin.token })).status, 404);
      assert.equal((await api("DELETE", `/api/v1/sites/${site.id}/users/nope`, { token: admin.token })).status, 404);
      const listed = await api("GET", `/api/v1/sites/${site.id}/users?limit=100`, { token: admin.token });
      assert.ok(!listed.body.items.some((m: { user_id: string }) => m.user_id === member.id));
    });
  });

  describe("POST /auth/site", () => {
    let site: TestSite;
    before(async () => {
      site = await createSite(admin.token);
    });

    it("a member gets a token pair of the same session carrying site_id", async () => {
      const user = await newUser("chooser");
      await addMember(site.id, user.id);
      const before = claimsOf(user.token);
      assert.equal(before.site_id, undefined);
      const res = await api("POST", "/api/v1/auth/site", { token: user.token, body: { site_id: site.id } });
      assert.equal(res.status, 200);
      assert.equal(res.body.token_type, "bearer");
      assert.equal(res.body.user.id, user.id);
      const claims = claimsOf(res.body.access_token);
      assert.equal(claims.site_id, site.id);
      assert.equal(claims.sub, user.id);
      assert.equal(claims.sid, before.sid);
      assert.equal((await api("GET", "/api/v1/users/me", { token: res.body.access_token })).status, 200);
    });

    it("a refresh of a scoped session keeps site_id", async () => {
      const member = await siteMember(site.id);
      const res = await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: member.refreshToken } });
      assert.equal(res.status, 200);
      assert.equal(claimsOf(res.body.access_token).site_id, site.id);
    });

    it("switching sites spends the old refresh token: presenting it again is reuse and ends the session", async () => {
      const user = await newUser("switcher");
      await addMember(site.id, user.id);
      const scoped = await selectSite(user, site.id);
      const stale = await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: user.refreshToken } });
      assert.equal(stale.status, 401);
      assert.equal(stale.body.code, "refresh_token_reused");
      const fresh = await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: scoped.refreshToken } });
      assert.equal(fresh.status, 401);
    });

    it("logout with the scoped token ends the one session", async () => {
      const member = await siteMember(site.id);
      assert.equal((await api("POST", "/api/v1/auth/logout", { token: member.token })).status, 204);
      assert.equal((await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: member.refreshToken } })).status, 401);
    });

    it("a non-member is 403 forbidden, for an existing and an unknown site alike", async () => {
      const user = await newUser("stranger");
      for (const siteId of [site.id, MISSING]) {
        const res = await api("POST", "/api/v1/auth/site", { token: user.token, body: { site_id: siteId } });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, "forbidden");
      }
      // The refused attempt spent nothing: the user's refresh token still works.
      assert.equal((await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: user.refreshToken } })).status, 200);
    });

    it("an admin may choose any site without being a member", async () => {
      const res = await api("POST", "/api/v1/auth/site", { token: admin.token, body: { site_id: site.id } });
      assert.equal(res.status, 200);
      assert.equal(claimsOf(res.body.access_token).site_id, site.id);
    });

    it("a malformed site_id or an unknown field is 400; no token is 401", async () => {
      const user = await newUser("typo");
      const res = await api("POST", "/api/v1/auth/site", { token: user.token, body: { site_id: "site-1", role: "manager" } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field).sort(), ["role", "site_id"]);
      assert.equal((await api("POST", "/api/v1/auth/site", { body: { site_id: site.id } })).status, 401);
    });
  });

  describe("removing a member", () => {
    it("takes effect on their next request, with the token they already hold", async () => {
      const site = await createSite(admin.token);
      const member = await siteMember(site.id, "manager");
      assert.equal((await api("GET", "/api/v1/interactions", { token: member.token })).status, 200);
      assert.equal((await api("GET", `/api/v1/sites/${site.id}`, { token: member.token })).status, 200);

      assert.equal((await api("DELETE", `/api/v1/sites/${site.id}/users/${member.id}`, { token: admin.token })).status, 204);

      for (const [method, path] of [
        ["GET", "/api/v1/interactions"],
        ["GET", `/api/v1/sites/${site.id}`],
        ["GET", `/api/v1/sites/${site.id}/users`],
      ] as const) {
        const res = await api(method, path, { token: member.token });
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal(res.body.code, "forbidden");
      }
      const write = await api("POST", "/api/v1/interactions", { token: member.token, body: { type: "note", summary: "after removal" } });
      assert.equal(write.status, 403);
      assert.equal((await api("POST", "/api/v1/auth/site", { token: member.token, body: { site_id: site.id } })).status, 403);
      // A refreshed token still names the site, and is refused just the same.
      const refreshed = await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: member.refreshToken } });
      assert.equal((await api("GET", "/api/v1/interactions", { token: refreshed.body.access_token })).status, 403);

      // Membership is read per request, not cached: adding them back lets the same token in again.
      await addMember(site.id, member.id, "staff");
      assert.equal((await api("GET", "/api/v1/interactions", { token: member.token })).status, 200);
    });
  });
});
