import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { matchMaker } from "@colyseus/core";
import { api, newUser } from "../support/api";
import { eventually } from "../support/eventually";
import { startServerProcess } from "../support/process";
import { freePort } from "../support/server";

/** Revocations live in presence for speed and in the database for good. */
describe("accounts: revocations survive presence losing them", () => {
  it("a logged-out token stays refused after presence lost every revocation (a Redis flush), and presence is refilled", async () => {
    const user = await newUser("rvk");
    assert.equal((await api("POST", "/api/v1/auth/logout", { token: user.token })).status, 204);
    const claims = JSON.parse(Buffer.from(user.token.split(".")[1]!, "base64url").toString());
    // What a FLUSHDB (or a Redis restarted empty) does to this server's presence.
    const presence = matchMaker.presence;
    await Promise.all([presence.del(`revoked:jti:${claims.jti}`), presence.del(`revoked:sid:${claims.sid}`), presence.del("revocations:loaded")]);
    const me = await api("GET", "/api/v1/users/me", { token: user.token });
    assert.equal(me.status, 401);
    assert.equal(me.body.code, "unauthenticated");
    await eventually(async () => (await presence.exists("revocations:loaded")) && (await presence.exists(`revoked:sid:${claims.sid}`)), "presence refilled");
    assert.equal((await api("GET", "/api/v1/users/me", { token: user.token })).status, 401);
  });

  it("refuses to start on a Redis whose eviction policy may drop keys", async function () {
    this.timeout(120_000);
    if (!process.env.TEST_REDIS_URL || spawnSync("redis-server", ["--version"]).status !== 0) this.skip();
    const port = await freePort();
    const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"], {
      stdio: "ignore",
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      await assert.rejects(startServerProcess({ REDIS_URL: `redis://127.0.0.1:${port}` }), (err: Error) => {
        assert.match(err.message, /maxmemory-policy is allkeys-lru/);
        assert.doesNotMatch(err.message, /at .*\.ts:\d+/, "no stack trace");
        return true;
      });
    } finally {
      redis.kill();
    }
  });
});
