import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@colyseus/sdk";
import { api, uniqueName } from "../support/api";
import { inOnePass, prepareBackend, TEST_ENV } from "../support/backend";
import { startServerProcess } from "../support/process";

const ROOT = path.resolve(__dirname, "../..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cli.ts` as an operator would, on an embedded database in `dataDir` (or on `backend`, when given). */
function cli(dataDir: string, ...args: string[]): Promise<Run> {
  return cliOn({ DATA_DIR: dataDir }, ...args);
}

function cliOn(backend: Record<string, string>, ...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TEST_ENV, ...backend };
  if (!backend.DATABASE_URL) delete env.DATABASE_URL;
  if (!backend.REDIS_URL) delete env.REDIS_URL;
  const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["cli.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

const lastJson = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

describe("accounts: CLI", function () {
  this.timeout(120_000);
  let dataDir: string;

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-cli-"));
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("creates a verified admin, grants a role, refuses a duplicate, and disables the user", async function () {
    inOnePass(this, "real");
    const username = uniqueName("cli");
    const created = await cli(dataDir, "user", "create", username, `${username}@example.test`, "cli-password-1", "--role", "admin", "--verified");
    assert.equal(created.code, 0, created.stderr);
    const user = lastJson(created.stdout);
    assert.equal(user.username, username);
    assert.deepEqual(user.roles.sort(), ["admin", "player"]);
    assert.equal(user.is_verified, true);

    const granted = await cli(dataDir, "user", "grant", username.toUpperCase(), "operator");
    assert.equal(granted.code, 0, granted.stderr);
    assert.deepEqual(lastJson(granted.stdout).roles.sort(), ["admin", "operator", "player"]);

    const duplicate = await cli(dataDir, "user", "create", username, `other-${username}@example.test`, "cli-password-1");
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /username_taken/);

    const disabled = await cli(dataDir, "user", "disable", username);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal(lastJson(disabled.stdout).is_active, false);
  });

  it("exits non-zero with a clear message on a weak password, an unknown user, a bad role or a bad command", async function () {
    inOnePass(this, "real");
    const weak = await cli(dataDir, "user", "create", uniqueName("cliweak"), "weak@example.test", "short");
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /weak_password/);
    const unknown = await cli(dataDir, "user", "grant", uniqueName("nobody"), "admin");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not_found: user not found/);
    const badRole = await cli(dataDir, "user", "grant", "whoever", "king");
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /unknown role: king/);
    const badCommand = await cli(dataDir, "users", "list");
    assert.equal(badCommand.code, 1);
    assert.match(badCommand.stderr, /usage:/);
  });

  it("refuses, with a message, to open a data directory that a running server holds", async function () {
    inOnePass(this, "real");
    const srv = await startServerProcess({ DATABASE_URL: "", DATA_DIR: dataDir });
    try {
      const refused = await cli(dataDir, "user", "disable", "whoever");
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /in use by a running Tavern server/);
      assert.doesNotMatch(refused.stderr, /at .*\.ts:\d+/, "no stack trace");
    } finally {
      await srv.stop();
    }
    const after = await cli(dataDir, "user", "grant", uniqueName("nobody"), "admin");
    assert.match(after.stderr, /not_found/, "the directory is free again once the server stopped");
  });

  it("on Postgres and Redis, `user disable` closes the user's live connections on a running server with 4401", async function () {
    if (!process.env.TEST_DATABASE_URL || !process.env.TEST_REDIS_URL) this.skip();
    const backend = await prepareBackend();
    const srv = await startServerProcess(backend.env);
    try {
      const user = await newUserOn(srv.url);
      const client = new Client(`ws://127.0.0.1:${srv.port}`);
      client.auth.token = user.token;
      const inbox = await client.joinOrCreate("inbox", {});
      const closed = new Promise<number>((resolve) => inbox.onLeave((code: number) => resolve(code)));
      const disabled = await cliOn(backend.env, "user", "disable", user.username);
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.equal(await closed, 4401);
      const me = await api("GET", "/api/v1/users/me", { token: user.token, base: srv.url });
      assert.equal(me.status, 401);
    } finally {
      await srv.stop();
      await backend.dispose();
    }
  });

  it("BOOTSTRAP_ADMIN_* on start grants admin to an existing user, idempotently across restarts", async function () {
    inOnePass(this, "real");
    const username = uniqueName("boss");
    const password = "boss-password-1";
    assert.equal((await cli(dataDir, "user", "create", username, `${username}@example.test`, password)).code, 0);
    const env = {
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      BOOTSTRAP_ADMIN_USERNAME: username,
      BOOTSTRAP_ADMIN_EMAIL: `${username}@example.test`,
      BOOTSTRAP_ADMIN_PASSWORD: "ignored-for-an-existing-user-1",
    };
    for (let start = 0; start < 2; start++) {
      const srv = await startServerProcess(env);
      try {
        const login = await api("POST", "/api/v1/auth/login", { body: { username, password }, base: srv.url });
        assert.equal(login.status, 200, "the existing password is kept");
        assert.deepEqual(login.body.user.roles.sort(), ["admin", "player"]);
        const admins = await api("GET", `/api/v1/admin/users?q=${username}`, { token: login.body.access_token, base: srv.url });
        assert.equal(admins.body.total, 1);
      } finally {
        await srv.stop();
      }
    }
  });
});

async function newUserOn(base: string) {
  const username = uniqueName("clilive");
  const password = "correct-horse-1";
  await api("POST", "/api/v1/auth/register", { base, body: { username, email: `${username}@example.test`, password } });
  const login = await api("POST", "/api/v1/auth/login", { base, body: { username, password } });
  return { username, token: login.body.access_token as string };
}
