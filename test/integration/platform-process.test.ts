import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TEST_ENV, embeddedOnly } from "../support/backend";
import { eventually } from "../support/eventually";
import { startServerProcess } from "../support/process";
import { freePort } from "../support/server";

const ROOT = path.resolve(__dirname, "../..");

describe("the server process", function () {
  before(function () {
    embeddedOnly(this);
  });
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

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} to the process \`npm start\` created shuts the server down gracefully, exit 0, nothing left running`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-npm-start-"));
      const port = await freePort();
      const npm = spawn("npm", ["start"], {
        cwd: ROOT,
        env: { ...process.env, ...TEST_ENV, LOG_LEVEL: "info", PORT: String(port), DATABASE_URL: "", DATA_DIR: dataDir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      npm.stdout.on("data", (d) => (output += d));
      npm.stderr.on("data", (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
      try {
        await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, "npm start ready", 60_000);
        const children = spawnSync("ps", ["-o", "pid=", "--ppid", String(npm.pid)], { encoding: "utf8" }).stdout.trim().split(/\s+/).filter(Boolean).map(Number);
        assert.ok(children.length > 0, "npm started the server");
        npm.kill(signal);
        assert.equal(await exited, 0, output);
        assert.match(output, /shutdown complete/);
        for (const pid of children) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} is still running`);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), "nothing listens on the port any more");
      } finally {
        if (npm.exitCode === null) npm.kill("SIGKILL");
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  it("writes one access log line per request, with its id, status and time, at the level its status calls for", async () => {
    const srv = await startServerProcess({ LOG_LEVEL: "info" });
    try {
      await fetch(`${srv.url}/api/v1/no-such-route`, { headers: { "x-request-id": "trace-0123456789" } });
      await fetch(`${srv.url}/healthz`, { headers: { "x-request-id": "trace-ok-0123456789" } });
      const line = await eventually(
        () => srv.output().split("\n").find((l) => l.includes('"trace-0123456789"')),
        "the 404's access log line",
      );
      const entry = JSON.parse(line);
      assert.equal(entry.level, 30, "a client error is logged at info");
      assert.deepEqual([entry.req.id, entry.req.method, entry.req.url, entry.res.statusCode], ["trace-0123456789", "GET", "/api/v1/no-such-route", 404]);
      assert.equal(typeof entry.responseTime, "number");
      assert.ok(!srv.output().includes("trace-ok-0123456789"), "a success is logged at debug only");
    } finally {
      await srv.stop();
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
