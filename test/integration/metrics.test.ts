import assert from "node:assert/strict";
import { adminUser, api, newUser } from "../support/api";

describe("GET /metrics", () => {
  it("answers 401 without a token", async () => {
    const res = await api("GET", "/metrics");
    assert.equal(res.status, 401);
    assert.equal(res.body.code, "unauthenticated");
  });

  it("answers 403 to a player", async () => {
    const player = await newUser("metrics");
    const res = await api("GET", "/metrics", { token: player.token });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, "forbidden");
  });

  it("serves Prometheus text to an admin, with the world tick figures", async () => {
    const admin = await adminUser();
    const res = await api("GET", "/metrics", { token: admin.token });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    assert.match(String(res.body), /^# TYPE tavern_world_tick_seconds histogram$/m);
    assert.match(String(res.body), /^tavern_process_resident_memory_bytes \d+/m);
  });
});
