import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServerProcess } from "../support/process";

const ROOT = path.resolve(__dirname, "../..");

describe("the server process", function () {
  this.timeout(120_000);

  it("keeps a registered account across a graceful restart on the embedded database", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-restart-"));
    const env = { DATABASE_URL: "", DATA_DIR: dataDir };
    const account = { username: "restart_user", email: "restart@example.test", password: "correct-horse-1" };
    try {
      const first = await startServerProcess(env);
      const reg = await fetch(`${first.url}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(account),
      });
      assert.equal(reg.status, 201);
      assert.equal(await first.stop("SIGTERM"), 0, "SIGTERM exits 0");

      const second = await startServerProcess(env);
      try {
        const login = await fetch(`${second.url}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: account.username, password: account.password }),
        });
        assert.equal(login.status, 200);
        const body = (await login.json()) as { user: { username: string } };
        assert.equal(body.user.username, account.username);
      } finally {
        assert.equal(await second.stop("SIGINT"), 0, "SIGINT exits 0");
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses to start on an invalid configuration, naming each bad variable", () => {
    const result = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["index.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "not-a-port", WORLD_TICK_RATE: "-3", DATABASE_URL: "pglite://memory" },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /PORT/);
    assert.match(result.stderr, /WORLD_TICK_RATE/);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "no stack trace");
  });

  it("refuses to start in production without JWT_SECRET", () => {
    const result = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["index.ts"], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "production", JWT_SECRET: "", DATABASE_URL: "pglite://memory" },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /JWT_SECRET: required in production/);
  });
});
