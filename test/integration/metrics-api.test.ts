import assert from "node:assert/strict";
import crypto from "node:crypto";
import { adminUser, api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { startServerProcess, type ServerProcess } from "../support/process";
import { server } from "../support/server";

const HEARTBEAT = "/api/v1/metrics/heartbeat";
const ONLINE = "/api/v1/metrics/online-now";
const TRAFFIC = "/api/v1/metrics/traffic-summary";
const COUNTS = "/api/v1/metrics/content-counts";

const clientId = () => `anon-${crypto.randomUUID()}`;

interface Summary {
  window_minutes: number;
  total_requests: number;
  by_minute: { minute: string; requests: number }[];
  by_route: { route: string; requests: number; by_status: { status: number; requests: number }[] }[];
  by_status: { status: number; requests: number }[];
}

const requestsOf = (s: Summary, route: string, status: number) =>
  s.by_route.find((r) => r.route === route)?.by_status.find((b) => b.status === status)?.requests ?? 0;

describe("metrics API", () => {
  let admin: { id: string; token: string };
  let player: TestUser;
  before(async () => {
    admin = await adminUser();
    player = await newUser("mapi");
  });

  describe("POST /metrics/heartbeat and GET /metrics/online-now", () => {
    const online = async () => {
      const res = await api("GET", ONLINE, { token: admin.token });
      assert.equal(res.status, 200);
      return res.body as { count: number; users: number; anonymous: number; window_seconds: number };
    };

    it("an authenticated and an anonymous heartbeat each count once, however often they beat", async () => {
      const before = await online();
      const user = await newUser("beat");
      const anonymous = clientId();
      for (let i = 0; i < 3; i++) {
        assert.equal((await api("POST", HEARTBEAT, { token: user.token, body: {} })).status, 204);
        assert.equal((await api("POST", HEARTBEAT, { body: { client_id: anonymous } })).status, 204);
      }
      const after = await online();
      assert.equal(after.users - before.users, 1);
      assert.equal(after.anonymous - before.anonymous, 1);
      assert.equal(after.count, after.users + after.anonymous);
      assert.equal(after.window_seconds, 60);
    });

    it("a signed-in heartbeat counts the user, not the client_id it also sends", async () => {
      const before = await online();
      const user = await newUser("beatid");
      assert.equal((await api("POST", HEARTBEAT, { token: user.token, body: { client_id: clientId() } })).status, 204);
      const after = await online();
      assert.deepEqual([after.users - before.users, after.anonymous - before.anonymous], [1, 0]);
    });

    it("a heartbeat with neither a token nor a client_id is 400 naming client_id", async () => {
      const res = await api("POST", HEARTBEAT, { body: {} });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errors, [{ field: "client_id", message: "is required without a token" }]);
    });

    it("a malformed client_id, an unknown field or a bad token is refused", async () => {
      for (const client_id of ["short", "x".repeat(65), "has space in it", "semi;colon-id", 12345678]) {
        const res = await api("POST", HEARTBEAT, { body: { client_id } });
        assert.equal(res.status, 400, String(client_id));
        assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), ["client_id"]);
      }
      const unknown = await api("POST", HEARTBEAT, { body: { client_id: clientId(), user_id: player.id } });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body.errors, [{ field: "user_id", message: "is unknown" }]);
      const badToken = await api("POST", HEARTBEAT, { token: "not.a.token", body: {} });
      assert.equal(badToken.status, 401);
    });

    it("online-now is 403 for a player and 401 without a token", async () => {
      assert.equal((await api("GET", ONLINE, { token: player.token })).status, 403);
      assert.equal((await api("GET", ONLINE)).status, 401);
    });
  });

  describe("GET /metrics/traffic-summary", () => {
    const summary = async (minutes = 60): Promise<Summary> => {
      const res = await api("GET", `${TRAFFIC}?minutes=${minutes}`, { token: admin.token });
      assert.equal(res.status, 200);
      return res.body;
    };

    it("counts the requests made here by route template and status", async () => {
      const before = await summary();
      for (let i = 0; i < 2; i++) assert.equal((await api("GET", "/api/v1/cms/home")).status, 200);
      assert.equal((await api("GET", "/api/v1/cms/no-such-key")).status, 404);
      assert.equal((await api("GET", "/nowhere/at/all")).status, 404);
      const after = await summary();

      const delta = (route: string, status: number) => requestsOf(after, route, status) - requestsOf(before, route, status);
      assert.equal(delta("GET /api/v1/cms/:key", 200), 2);
      assert.equal(delta("GET /api/v1/cms/:key", 404), 1);
      assert.equal(delta("GET unmatched", 404), 1);
      assert.equal(delta(`GET ${TRAFFIC}`, 200), 1, "the first summary request");
      assert.equal(after.total_requests - before.total_requests, 5);
      assert.ok(!after.by_route.some((r) => r.route.includes("nowhere")));
    });

    it("its parts add up: minutes, routes and statuses each sum to the total", async () => {
      const s = await summary(5);
      assert.equal(s.window_minutes, 5);
      assert.equal(s.by_minute.length, 5);
      const minutes = s.by_minute.map((m) => Date.parse(m.minute));
      assert.ok(minutes.every((t, i) => i === 0 || t - minutes[i - 1]! === 60_000), "consecutive minutes, oldest first");
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      assert.equal(sum(s.by_minute.map((m) => m.requests)), s.total_requests);
      assert.equal(sum(s.by_route.map((r) => r.requests)), s.total_requests);
      assert.equal(sum(s.by_status.map((b) => b.requests)), s.total_requests);
      for (const r of s.by_route) assert.equal(sum(r.by_status.map((b) => b.requests)), r.requests, r.route);
    });

    it("minutes must be 1 to 1440", async () => {
      for (const minutes of ["0", "1441", "abc", "1.5"]) {
        const res = await api("GET", `${TRAFFIC}?minutes=${minutes}`, { token: admin.token });
        assert.equal(res.status, 400, minutes);
        assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), ["minutes"]);
      }
    });

    it("is 403 for a player", async () => {
      assert.equal((await api("GET", TRAFFIC, { token: player.token })).status, 403);
    });
  });

  describe("GET /metrics/content-counts", () => {
    it("anyone reads the totals; a second read within the minute comes from the cache", async () => {
      const first = await api("GET", COUNTS);
      assert.equal(first.status, 200);
      assert.deepEqual(Object.keys(first.body).sort(), ["characters", "messages", "public_characters", "public_stories", "stories", "users"]);
      for (const value of Object.values(first.body)) assert.ok(Number.isInteger(value) && (value as number) >= 0);
      assert.ok(first.body.users >= 2, "at least the admin and this file's player");
      assert.ok(first.body.public_characters <= first.body.characters);

      await api("POST", "/api/v1/characters", { token: player.token, body: { name: "Uncounted yet", is_public: true } });
      const second = await api("GET", COUNTS);
      assert.equal(second.headers.get("x-cache"), "hit");
      assert.deepEqual(second.body, first.body);
    });
  });

  describe("with ONLINE_TTL=1, METRICS_TOKEN and a small heartbeat limit (a process of its own)", () => {
    const METRICS_TOKEN = "metrics-token-for-tests";
    let proc: ServerProcess;
    let procAdmin: { id: string; token: string };

    before(async function () {
      this.timeout(120_000);
      proc = await startServerProcess({ ...ownPresence(server().backend.env), ONLINE_TTL: "1", METRICS_TOKEN, RATE_LIMIT_HEARTBEAT_PER_MINUTE: "4" });
      procAdmin = await adminUser(proc.url);
    });

    after(async () => {
      await proc?.stop();
    });

    const online = async () => {
      const res = await api("GET", ONLINE, { token: procAdmin.token, base: proc.url });
      assert.equal(res.status, 200);
      return res.body;
    };

    it("an authenticated and an anonymous heartbeat count in online-now, then drop out after ONLINE_TTL", async () => {
      assert.equal((await api("POST", HEARTBEAT, { token: procAdmin.token, body: {}, base: proc.url })).status, 204);
      assert.equal((await api("POST", HEARTBEAT, { body: { client_id: clientId() }, base: proc.url })).status, 204);
      assert.deepEqual(await online(), { count: 2, users: 1, anonymous: 1, window_seconds: 1 });
      await eventually(async () => (await online()).count === 0, "both to drop out", 10_000);
      assert.deepEqual(await online(), { count: 0, users: 0, anonymous: 0, window_seconds: 1 });
    });

    it("heartbeats past RATE_LIMIT_HEARTBEAT_PER_MINUTE from one address are 429 with Retry-After", async () => {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 6; i++) {
        const res = await api("POST", HEARTBEAT, { body: { client_id: clientId() }, base: proc.url });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get("retry-after");
      }
      assert.deepEqual(statuses.slice(-2), [429, 429], statuses.join(","));
      assert.ok(statuses.every((s) => s === 204 || s === 429), statuses.join(","));
      assert.match(retryAfter ?? "", /^\d+$/);
    });

    it("GET /metrics takes METRICS_TOKEN, and no other secret", async () => {
      const ok = await api("GET", "/metrics", { token: METRICS_TOKEN, base: proc.url });
      assert.equal(ok.status, 200);
      assert.match(String(ok.body), /^# TYPE tavern_http_request_duration_seconds histogram$/m);
      const wrong = await api("GET", "/metrics", { token: `${METRICS_TOKEN}x`, base: proc.url });
      assert.equal(wrong.status, 401);
    });
  });
});

/**
 * The backend's database, and on Redis a database index of its own: online-now counts
 * every heartbeat in its presence, and the suite's server writes some too.
 */
function ownPresence(env: Record<string, string>): Record<string, string> {
  if (!env.REDIS_URL) return env;
  const url = new URL(env.REDIS_URL);
  url.pathname = `/${(Number(url.pathname.slice(1) || 0) % 15) + 1}`;
  return { ...env, REDIS_URL: url.toString() };
}
