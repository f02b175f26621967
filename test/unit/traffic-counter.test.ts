import assert from "node:assert/strict";
import { LocalPresence, type Presence } from "@colyseus/core";
import { createLogger } from "../../infra/logger";
import { TrafficCounter } from "../../services/metrics/traffic";

const MINUTE = 60_000;
const NOW = Date.UTC(2030, 0, 1, 12, 30, 30);

describe("TrafficCounter", () => {
  let presence: LocalPresence;
  beforeEach(() => {
    presence = new LocalPresence();
  });
  afterEach(() => presence.shutdown());

  it("sums requests by minute, route and status over the window, oldest minute first", async () => {
    const traffic = new TrafficCounter(presence, createLogger("silent"));
    traffic.record("GET", "/api/v1/cms/:key", 200, NOW);
    traffic.record("GET", "/api/v1/cms/:key", 200, NOW - MINUTE);
    traffic.record("GET", "/api/v1/cms/:key", 404, NOW - MINUTE);
    traffic.record("PUT", "/api/v1/cms/:key", 412, NOW - 2 * MINUTE);
    traffic.record("GET", "unmatched", 404, NOW - 3 * MINUTE);

    const s = await traffic.summary(3, NOW);
    assert.deepEqual(s.by_minute, [
      { minute: "2030-01-01T12:28:00.000Z", requests: 1 },
      { minute: "2030-01-01T12:29:00.000Z", requests: 2 },
      { minute: "2030-01-01T12:30:00.000Z", requests: 1 },
    ]);
    assert.equal(s.total_requests, 4, "the request four minutes back is outside a three-minute window");
    assert.deepEqual(s.by_route, [
      { route: "GET /api/v1/cms/:key", requests: 3, by_status: [{ status: 200, requests: 2 }, { status: 404, requests: 1 }] },
      { route: "PUT /api/v1/cms/:key", requests: 1, by_status: [{ status: 412, requests: 1 }] },
    ]);
    assert.deepEqual(s.by_status, [{ status: 200, requests: 2 }, { status: 404, requests: 1 }, { status: 412, requests: 1 }]);
  });

  it("two processes on one presence add up", async () => {
    const a = new TrafficCounter(presence, createLogger("silent"));
    const b = new TrafficCounter(presence, createLogger("silent"));
    a.record("GET", "/healthz", 200, NOW);
    b.record("GET", "/healthz", 200, NOW);
    b.record("GET", "/healthz", 200, NOW);
    await b.flush();
    assert.equal((await a.summary(1, NOW)).total_requests, 3);
  });

  it("counts a flush could not write are kept and written by the next one", async () => {
    let failing = true;
    const flaky = new Proxy(presence, {
      get(target, prop, receiver) {
        if (prop === "hincrbyex" && failing) return () => Promise.reject(new Error("presence is down"));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as Presence;
    const traffic = new TrafficCounter(flaky, createLogger("silent"));
    traffic.record("GET", "/readyz", 503, NOW);
    traffic.record("GET", "/readyz", 503, NOW);
    await traffic.flush();
    assert.deepEqual(await presence.hgetall(`metrics:traffic:${Math.floor(NOW / MINUTE)}`), {});
    failing = false;
    traffic.record("GET", "/readyz", 200, NOW);
    const s = await traffic.summary(1, NOW);
    assert.deepEqual(s.by_status, [{ status: 200, requests: 1 }, { status: 503, requests: 2 }]);
  });
});
