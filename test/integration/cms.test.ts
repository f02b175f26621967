import assert from "node:assert/strict";
import { adminUser, api, newUser, userWithRoles, type TestUser } from "../support/api";

const HOME = "/api/v1/cms/home";
const CHARACTER = "5f0c8a0e-3c1b-4a51-9a53-0a4f7d1f2b61";
const STORY = "8d2e6f14-7b8a-4c3e-9f10-2e5d4c3b2a19";

const put = (token: string, config: unknown, ifMatch?: string, path = HOME) =>
  api("PUT", path, { token, body: { config }, headers: ifMatch === undefined ? {} : { "if-match": ifMatch } });

const current = async () => {
  const res = await api("GET", HOME);
  assert.equal(res.status, 200);
  return res.body as { version: number; config: Record<string, any>; updated_by: { id: string | null; username: string } | null };
};

describe("CMS configs", () => {
  let admin: { id: string; token: string };
  let secondAdmin: TestUser;
  let player: TestUser;

  before(async () => {
    admin = await adminUser();
    secondAdmin = await userWithRoles("cms2", ["player", "admin"]);
    player = await newUser("cmsp");
  });

  describe("GET /cms/{key}", () => {
    it("anyone reads home: the full schema with defaults, and its version as the ETag", async () => {
      const res = await api("GET", HOME);
      assert.equal(res.status, 200);
      assert.equal(res.body.key, "home");
      assert.equal(res.headers.get("etag"), `"${res.body.version}"`);
      for (const field of ["banners", "featured_character_ids", "featured_story_ids", "notice"]) assert.ok(field in res.body.config, field);
      assert.deepEqual(Object.keys(res.body.config.notice).sort(), ["enabled", "level", "text"]);
    });

    it("a GET with If-None-Match of the current ETag is 304 Not Modified", async () => {
      const etag = (await api("GET", HOME)).headers.get("etag")!;
      // fetch would add Cache-Control: no-cache to a conditional request, which forces a full answer.
      const res = await api("GET", HOME, { headers: { "if-none-match": etag, "cache-control": "max-age=0" } });
      assert.equal(res.status, 304);
    });

    it("an unknown key is 404 not_found naming the cms key", async () => {
      const res = await api("GET", "/api/v1/cms/no-such-key");
      assert.equal(res.status, 404);
      assert.equal(res.body.code, "not_found");
      assert.match(res.body.detail, /cms key/);
    });

    it("a key that names an Object.prototype member is unknown too", async () => {
      assert.equal((await api("GET", "/api/v1/cms/constructor")).status, 404);
      assert.equal((await api("GET", "/api/v1/cms/__proto__")).status, 404);
    });
  });

  describe("PUT /cms/{key}", () => {
    it("an admin's write is the next version, with an ETag, and updated_by names the admin", async () => {
      const before = await current();
      const config = {
        banners: [{ id: "spring", title: "Spring festival", image_url: "https://cdn.example.test/spring.png" }],
        featured_character_ids: [CHARACTER],
        featured_story_ids: [STORY],
        notice: { enabled: true, text: "Maintenance at noon", level: "warning" },
      };
      const res = await put(admin.token, config, String(before.version));
      assert.equal(res.status, 200);
      assert.equal(res.body.version, before.version + 1);
      assert.equal(res.headers.get("etag"), `"${before.version + 1}"`);
      assert.deepEqual(res.body.updated_by, { id: admin.id, username: "test_admin" });
      assert.ok(!Number.isNaN(Date.parse(res.body.updated_at)));
      assert.deepEqual(res.body.config.banners, [
        { id: "spring", title: "Spring festival", subtitle: "", image_url: "https://cdn.example.test/spring.png", link_url: null, starts_at: null, ends_at: null },
      ]);
      assert.deepEqual(res.body.config.notice, config.notice);

      const read = await api("GET", HOME);
      assert.deepEqual(read.body, res.body);
      assert.equal(read.headers.get("etag"), `"${before.version + 1}"`);
    });

    it("the version increases by one on every write, and If-Match may be the ETag", async () => {
      const start = (await current()).version;
      for (let i = 1; i <= 3; i++) {
        const etag = (await api("GET", HOME)).headers.get("etag")!;
        const res = await put(admin.token, { notice: { text: `round ${i}` } }, etag);
        assert.equal(res.status, 200);
        assert.equal(res.body.version, start + i);
      }
      assert.equal((await current()).config.notice.text, "round 3");
    });

    it("fields left out take their defaults", async () => {
      const res = await put(admin.token, { featured_story_ids: [STORY] }, String((await current()).version));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.config, {
        banners: [],
        featured_character_ids: [],
        featured_story_ids: [STORY],
        notice: { enabled: false, text: "", level: "info" },
      });
    });

    it("a player's write is 403 forbidden and stores nothing", async () => {
      const before = await current();
      const res = await put(player.token, { notice: { text: "hijacked" } }, String(before.version));
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "forbidden");
      assert.equal((await current()).version, before.version);
    });

    it("without a token it is 401", async () => {
      const res = await api("PUT", HOME, { body: { config: {} }, headers: { "if-match": "0" } });
      assert.equal(res.status, 401);
    });

    it("an invalid config is 400 validation_failed naming every offending field", async () => {
      const before = await current();
      const res = await put(
        admin.token,
        {
          banners: [{ id: "x", title: "" }, { id: "x", title: "Twice", link_url: "javascript:alert(1)" }],
          featured_character_ids: ["not-a-uuid"],
          notice: { level: "shouting" },
          colour: "red",
        },
        String(before.version),
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      for (const field of ["config.banners.0.title", "config.banners.1.link_url", "config.banners.1", "config.featured_character_ids.0", "config.notice.level", "config.colour"]) {
        assert.ok(fields.includes(field), `${field} in ${fields.join(", ")}`);
      }
      assert.equal((await current()).version, before.version);
    });

    it("an unknown field beside config is 400 too", async () => {
      const res = await api("PUT", HOME, { token: admin.token, body: { config: {}, version: 99 }, headers: { "if-match": String((await current()).version) } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errors, [{ field: "version", message: "is unknown" }]);
    });

    it("a banner that ends before it starts is 400 on ends_at", async () => {
      const res = await put(
        admin.token,
        { banners: [{ id: "b", title: "Backwards", starts_at: "2030-02-01T00:00:00Z", ends_at: "2030-01-01T00:00:00Z" }] },
        String((await current()).version),
      );
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), ["config.banners.0.ends_at"]);
    });

    it("without If-Match it is 428 precondition_required and stores nothing", async () => {
      const before = await current();
      const res = await put(admin.token, { notice: { text: "blind write" } });
      assert.equal(res.status, 428);
      assert.equal(res.body.code, "precondition_required");
      assert.equal((await current()).version, before.version);
    });

    it("an If-Match that names no single version is 400 on If-Match", async () => {
      for (const value of ["*", "abc", 'W/"1"', '"1", "2"', "-1", "1.5"]) {
        const res = await put(admin.token, {}, value);
        assert.equal(res.status, 400, value);
        assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), ["If-Match"], value);
      }
    });

    it("a write based on an older version is 412 version_conflict naming the current one", async () => {
      const { version } = await current();
      assert.equal((await put(admin.token, { notice: { text: "first" } }, String(version))).status, 200);
      const res = await put(secondAdmin.token, { notice: { text: "stale" } }, String(version));
      assert.equal(res.status, 412);
      assert.equal(res.body.code, "version_conflict");
      assert.match(res.body.detail, new RegExp(`current version is ${version + 1}\\b`));
      assert.equal((await current()).config.notice.text, "first");
    });

    it("a version from the future is 412, not a gap in the history", async () => {
      const { version } = await current();
      const res = await put(admin.token, {}, String(version + 5));
      assert.equal(res.status, 412);
      assert.equal((await current()).version, version);
    });

    it("two admins writing on the same version at once: one 200, one 412", async () => {
      const { version } = await current();
      const [a, b] = await Promise.all([
        put(admin.token, { notice: { text: "from admin A" } }, String(version)),
        put(secondAdmin.token, { notice: { text: "from admin B" } }, String(version)),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [200, 412]);
      const winner = a.status === 200 ? a : b;
      const after = await current();
      assert.equal(after.version, version + 1);
      assert.equal(after.config.notice.text, winner.body.config.notice.text);
    });

    it("ten writers on one version: exactly one is stored", async () => {
      const { version } = await current();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => put(i % 2 ? admin.token : secondAdmin.token, { notice: { text: `writer ${i}` } }, String(version))),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, ...Array(9).fill(412)]);
      assert.equal((await current()).version, version + 1);
    });

    it("writing an unknown key is 404", async () => {
      const res = await put(admin.token, {}, "0", "/api/v1/cms/no-such-key");
      assert.equal(res.status, 404);
    });
  });

  describe("versions and rollback", () => {
    it("GET /cms/{key}/versions lists every version newest first, for admins only", async () => {
      const { version } = await current();
      await put(secondAdmin.token, { notice: { text: "listed" } }, String(version));
      const res = await api("GET", `${HOME}/versions?limit=2`, { token: admin.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, version + 1);
      assert.equal(res.body.limit, 2);
      assert.deepEqual(res.body.items.map((v: { version: number }) => v.version), [version + 1, version]);
      assert.deepEqual(res.body.items[0].updated_by, { id: secondAdmin.id, username: secondAdmin.username });
      assert.equal(res.body.items[0].rolled_back_from, null);

      assert.equal((await api("GET", `${HOME}/versions`, { token: player.token })).status, 403);
      assert.equal((await api("GET", "/api/v1/cms/no-such-key/versions", { token: admin.token })).status, 404);
    });

    it("a rollback stores the old content as a new version", async () => {
      const base = (await current()).version;
      const old = await put(admin.token, { banners: [{ id: "old", title: "The old banner" }], notice: { text: "old notice" } }, String(base));
      assert.equal(old.status, 200);
      const newer = await put(admin.token, { notice: { text: "new notice" } }, String(base + 1));
      assert.equal(newer.status, 200);

      const res = await api("POST", `${HOME}/rollback`, { token: secondAdmin.token, body: { version: old.body.version } });
      assert.equal(res.status, 200);
      assert.equal(res.body.version, base + 3);
      assert.equal(res.headers.get("etag"), `"${base + 3}"`);
      assert.deepEqual(res.body.config, old.body.config);
      assert.equal(res.body.updated_by.username, secondAdmin.username);
      assert.deepEqual(await current(), res.body);

      const versions = await api("GET", `${HOME}/versions?limit=3`, { token: admin.token });
      assert.deepEqual(
        versions.body.items.map((v: { version: number; rolled_back_from: number | null }) => [v.version, v.rolled_back_from]),
        [[base + 3, base + 1], [base + 2, null], [base + 1, null]],
      );
    });

    it("a rollback with a stale If-Match is 412; with the current one it applies", async () => {
      const { version } = await current();
      const stale = await api("POST", `${HOME}/rollback`, { token: admin.token, body: { version: 1 }, headers: { "if-match": String(version - 1) } });
      assert.equal(stale.status, 412);
      const ok = await api("POST", `${HOME}/rollback`, { token: admin.token, body: { version: 1 }, headers: { "if-match": `"${version}"` } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.version, version + 1);
    });

    it("concurrent rollbacks without If-Match each become a version of their own", async () => {
      const { version } = await current();
      const results = await Promise.all([1, 2, 3].map(() => api("POST", `${HOME}/rollback`, { token: admin.token, body: { version: 1 } })));
      assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
      assert.deepEqual(results.map((r) => r.body.version).sort(), [version + 1, version + 2, version + 3]);
    });

    it("rolling back to a version that does not exist is 404; a player's rollback is 403; a bad version is 400", async () => {
      const { version } = await current();
      const missing = await api("POST", `${HOME}/rollback`, { token: admin.token, body: { version: version + 100 } });
      assert.equal(missing.status, 404);
      assert.match(missing.body.detail, /cms version/);
      assert.equal((await api("POST", `${HOME}/rollback`, { token: player.token, body: { version: 1 } })).status, 403);
      const bad = await api("POST", `${HOME}/rollback`, { token: admin.token, body: { version: 0 } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field), ["version"]);
      assert.equal((await api("POST", "/api/v1/cms/no-such-key/rollback", { token: admin.token, body: { version: 1 } })).status, 404);
      assert.equal((await current()).version, version);
    });
  });
});
