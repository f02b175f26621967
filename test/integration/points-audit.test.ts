import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Client } from "pg";
import { adminUser, api, uniqueName } from "../support/api";
import { prepareBackend, TEST_ENV, type Backend } from "../support/backend";
import { grant } from "../support/payments";
import { startServerProcess, type ServerProcess } from "../support/process";

const ROOT = path.resolve(__dirname, "../..");

/**
 * The ledger audit finds what only a broken invariant leaves behind: a balance changed
 * without its ledger row. The product never does that, so the test does it behind the
 * server's back, in its database (a PGlite directory, or a Postgres database of its own
 * when TEST_DATABASE_URL is set), then asks the CLI and the admin route.
 */
describe("points: ledger audit (CLI and admin route)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let backend: Backend | undefined;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-audit-"));
    const real = process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL;
    backend = real ? await prepareBackend() : undefined;
    env = backend ? backend.env : { DATABASE_URL: "", DATA_DIR: dataDir };
  });

  after(async () => {
    await server?.stop();
    await backend?.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["cli.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...TEST_ENV, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
  }

  /** Runs `sql` on the server's database while no server holds it. */
  async function behindTheBack(sql: string, params: unknown[]) {
    if (backend) {
      const client = new Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      await client.query(sql, params);
      await client.end();
      return;
    }
    const db = new PGlite(path.join(dataDir, "pglite"));
    await db.query(sql, params);
    await db.close();
  }

  const lastJson = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

  it("a balance changed without a ledger row is listed with its balance and ledger sum; consistent users are not", async () => {
    server = await startServerProcess(env);
    const base = server.url;
    const admin = await adminUser(base);
    const username = uniqueName("audit");
    const reg = await api("POST", "/api/v1/auth/register", { base, body: { username, email: `${username}@example.test`, password: "correct-horse-1" } });
    const userId: string = reg.body.id;
    await grant(admin.token, userId, 70, base);
    const before = await api("GET", "/api/v1/admin/points/verify", { base, token: admin.token });
    assert.deepEqual(before.body.mismatches, []);
    await server.stop();
    server = undefined;

    const clean = await cli("points", "verify");
    assert.equal(clean.code, 0, clean.stderr);
    assert.deepEqual(lastJson(clean.stdout).mismatches, []);
    assert.ok(lastJson(clean.stdout).checked >= 2);

    await behindTheBack("UPDATE point_balances SET balance = balance + 5 WHERE user_id = $1", [userId]);

    const found = await cli("points", "verify");
    assert.equal(found.code, 1);
    assert.deepEqual(lastJson(found.stdout).mismatches, [{ user_id: userId, balance: 75, ledger_sum: 70 }]);
    assert.match(found.stderr, /1 of \d+ users have a balance that differs from their ledger/);

    server = await startServerProcess(env);
    const login = await adminUser(server.url);
    const after = await api("GET", "/api/v1/admin/points/verify", { base: server.url, token: login.token });
    assert.equal(after.status, 200);
    assert.deepEqual(after.body.mismatches, [{ user_id: userId, balance: 75, ledger_sum: 70 }]);
  });

  it("an unknown points command is a usage error", async () => {
    const res = await cli("points", "fix");
    assert.equal(res.code, 1);
    assert.match(res.stderr, /usage:/);
  });
});
