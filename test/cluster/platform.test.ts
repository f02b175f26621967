import assert from "node:assert/strict";
import { Client } from "pg";
import { migrations } from "../../entities/migrations";
import { prepareBackend, type Backend } from "../support/backend";
import { startServerProcess, type ServerProcess } from "../support/process";
import { startTcpProxy } from "../support/tcp-proxy";

describe("processes on one Postgres and Redis", function () {
  let backend: Backend;
  const started: ServerProcess[] = [];

  before(async function () {
    if (!process.env.TEST_DATABASE_URL || !process.env.TEST_REDIS_URL) {
      throw new Error("cluster tests need TEST_DATABASE_URL and TEST_REDIS_URL");
    }
    backend = await prepareBackend();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop("SIGKILL")));
  });

  after(async () => backend?.dispose());

  it("two processes starting at once apply each migration exactly once", async () => {
    const env = { ...backend.env, LOG_LEVEL: "info" };
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    started.push(a, b);
    const applied = (a.output() + b.output()).match(/"msg":"migration applied"/g)?.length ?? 0;
    assert.equal(applied, migrations.length);

    const db = new Client({ connectionString: backend.env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query("SELECT name, count(*)::int AS n FROM migrations GROUP BY name");
      assert.equal(rows.length, migrations.length);
      assert.ok(rows.every((r) => r.n === 1));
    } finally {
      await db.end();
    }
  });

  it("/readyz answers 503 naming the database when it becomes unreachable", async () => {
    const pgUrl = new URL(backend.env.DATABASE_URL);
    const proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    try {
      pgUrl.host = `127.0.0.1:${proxy.port}`;
      const server = await startServerProcess({ ...backend.env, DATABASE_URL: pgUrl.toString() });
      started.push(server);
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);

      proxy.cut();
      const res = await fetch(`${server.url}/readyz`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { checks: Record<string, string> };
      assert.deepEqual(body.checks, { database: "down", presence: "up" });
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "the process itself is still alive");
    } finally {
      await proxy.close();
    }
  });

  it("/readyz answers 503 naming presence when Redis becomes unreachable", async () => {
    const redisUrl = new URL(backend.env.REDIS_URL);
    const proxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    try {
      redisUrl.host = `127.0.0.1:${proxy.port}`;
      const server = await startServerProcess({ ...backend.env, REDIS_URL: redisUrl.toString() });
      started.push(server);
      proxy.cut();
      const res = await fetch(`${server.url}/readyz`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { checks: Record<string, string> };
      assert.equal(body.checks.presence, "down");
    } finally {
      await proxy.close();
    }
  });
});
