import assert from "node:assert/strict";
import crypto from "node:crypto";
import { adminUser, api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, eventually, newPlayer, startNode } from "../support/cluster";
import type { ServerProcess } from "../support/process";
import { parsePrometheus, valueOf } from "../support/prometheus";

const METRICS_TOKEN = "cluster-metrics-token";
const CMS_ROUTE = "GET /api/v1/cms/:key";

const trafficOf = async (base: string, token: string) => {
  const res = await api("GET", "/api/v1/metrics/traffic-summary?minutes=5", { base, token });
  assert.equal(res.status, 200);
  const route = (res.body.by_route as { route: string; by_status: { status: number; requests: number }[] }[]).find((r) => r.route === CMS_ROUTE);
  return route?.by_status.find((s) => s.status === 200)?.requests ?? 0;
};

const cmsCount = async (base: string) => {
  const res = await api("GET", "/metrics", { base, token: METRICS_TOKEN });
  assert.equal(res.status, 200);
  return valueOf(parsePrometheus(String(res.body)), "tavern_http_request_duration_seconds_count", { method: "GET", route: "/api/v1/cms/:key", status: "200" });
};

describe("metrics and CMS across processes", function () {
  let backend: Backend;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: string;

  before(async function () {
    backend = await clusterBackend();
    [a, b] = await Promise.all([startNode(backend, { METRICS_TOKEN }), startNode(backend, { METRICS_TOKEN })]);
    admin = (await adminUser(a.url)).token;
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await backend?.dispose();
  });

  it("heartbeats sent to either process count in online-now on both", async () => {
    const player = await newPlayer(b.url, clusterName("beat"));
    assert.equal((await api("POST", "/api/v1/metrics/heartbeat", { base: a.url, body: { client_id: `anon-${crypto.randomUUID()}` } })).status, 204);
    assert.equal((await api("POST", "/api/v1/metrics/heartbeat", { base: b.url, token: player.token, body: {} })).status, 204);
    for (const base of [a.url, b.url]) {
      const res = await api("GET", "/api/v1/metrics/online-now", { base, token: admin });
      assert.deepEqual(res.body, { count: 2, users: 1, anonymous: 1, window_seconds: 60 }, base);
    }
  });

  it("the traffic summary adds up the requests of both processes, while each /metrics holds its own", async () => {
    const [summaryBefore, aBefore, bBefore] = [await trafficOf(a.url, admin), await cmsCount(a.url), await cmsCount(b.url)];
    for (let i = 0; i < 2; i++) assert.equal((await api("GET", "/api/v1/cms/home", { base: a.url })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await api("GET", "/api/v1/cms/home", { base: b.url })).status, 200);
    await eventually(async () => (await trafficOf(a.url, admin)) - summaryBefore === 5, "process A's summary to count B's requests too");
    assert.equal((await cmsCount(a.url)) - aBefore, 2);
    assert.equal((await cmsCount(b.url)) - bBefore, 3);
  });

  it("two admins writing the same CMS version through different processes: one 200, one 412", async () => {
    const second = await newPlayer(a.url, clusterName("cmsadm"));
    const me = await api("GET", "/api/v1/users/me", { base: a.url, token: second.token });
    assert.equal((await api("PATCH", `/api/v1/admin/users/${me.body.id}`, { base: a.url, token: admin, body: { roles: ["player", "admin"] } })).status, 200);
    const relogin = await api("POST", "/api/v1/auth/login", { base: b.url, body: { username: second.username, password: "correct-horse-1" } });
    const secondAdmin = relogin.body.access_token as string;

    const { version } = (await api("GET", "/api/v1/cms/home", { base: a.url })).body;
    const write = (base: string, token: string, text: string) =>
      api("PUT", "/api/v1/cms/home", { base, token, body: { config: { notice: { text } } }, headers: { "if-match": String(version) } });
    const results = await Promise.all([write(a.url, admin, "from A"), write(b.url, secondAdmin, "from B")]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 412]);
    const stored = await api("GET", "/api/v1/cms/home", { base: b.url });
    assert.equal(stored.body.version, version + 1);
    assert.equal(stored.body.config.notice.text, results.find((r) => r.status === 200)!.body.config.notice.text);
  });
});
