import crypto from "node:crypto";
import { Redis } from "ioredis";
import { Client } from "pg";

export interface Backend {
  name: string;
  env: Record<string, string>;
  /** Drops what `prepare` created. */
  dispose: () => Promise<void>;
}

/**
 * The suite runs on the embedded defaults, or on real Postgres and Redis when
 * TEST_DATABASE_URL and TEST_REDIS_URL are set: then every run gets a database of its
 * own (dropped after) and a Redis database index of its own, empty, that no other run
 * on the same Redis uses meanwhile (Colyseus keys cannot be prefixed, so two runs in
 * one index would see each other's processes and rooms).
 */
export async function prepareBackend(): Promise<Backend> {
  const pgBase = process.env.TEST_DATABASE_URL;
  const redisBase = process.env.TEST_REDIS_URL;
  if (!pgBase || !redisBase) {
    return { name: "embedded (PGlite in memory, local presence)", env: { DATABASE_URL: "pglite://memory" }, dispose: async () => {} };
  }
  const dbName = `tavern_test_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
  const admin = new Client({ connectionString: pgBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(pgBase);
  url.pathname = `/${dbName}`;
  const redisIndex = await claimRedisIndex(redisBase, dbName);
  const redisUrl = new URL(redisBase);
  redisUrl.pathname = `/${redisIndex.index}`;
  return {
    name: `postgres (${dbName}) + redis (${redisUrl.pathname})`,
    env: { DATABASE_URL: url.toString(), REDIS_URL: redisUrl.toString() },
    dispose: async () => {
      const c = new Client({ connectionString: pgBase });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
      await redisIndex.release();
    },
  };
}

/** Leases, in index 0, one of the indexes 1–15 for `owner` (for at most half an hour), and empties it. */
async function claimRedisIndex(base: string, owner: string): Promise<{ index: number; release: () => Promise<void> }> {
  const url = new URL(base);
  url.pathname = "/0";
  const control = new Redis(url.toString());
  try {
    for (let attempt = 0; attempt < 600; attempt++) {
      const start = 1 + crypto.randomInt(15);
      for (let i = 0; i < 15; i++) {
        const index = 1 + ((start - 1 + i) % 15);
        if ((await control.set(`tavern-test:redis-index:${index}`, owner, "EX", 1800, "NX")) !== "OK") continue;
        const db = new Redis({ ...redisOptionsOf(base), db: index });
        await db.flushdb();
        await db.quit();
        return {
          index,
          release: async () => {
            const releaser = new Redis(url.toString());
            if ((await releaser.get(`tavern-test:redis-index:${index}`)) === owner) await releaser.del(`tavern-test:redis-index:${index}`);
            await releaser.quit();
          },
        };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error("no free Redis database index for this test run after 5 minutes");
  } finally {
    await control.quit();
  }
}

const redisOptionsOf = (base: string) => {
  const url = new URL(base);
  return { host: url.hostname, port: Number(url.port || 6379), password: url.password || undefined };
};

/** Configuration every test server shares: quiet, cheap (but real) argon2, generous limits. */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: "test",
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
  JWT_SECRET: "test-secret-test-secret-test-secret-0123456789",
  PAYMENT_WEBHOOK_SECRET: "test-webhook-secret-0123456789abcdef",
  ARGON2_MEMORY_KIB: "4096",
  ARGON2_ITERATIONS: "1",
  RATE_LIMIT_AUTH_PER_MINUTE: "100000",
  RATE_LIMIT_LOGIN_PER_MINUTE: "100000",
  RATE_LIMIT_DM_PER_MINUTE: "100000",
  RATE_LIMIT_CHARACTERS_PER_MINUTE: "100000",
  RATE_LIMIT_SAY_PER_MINUTE: "100000",
  RATE_LIMIT_CHAT_TURNS_PER_MINUTE: "100000",
  // Short enough that a test can watch a dropped seat expire and a periodic save land.
  WORLD_RECONNECT_SECONDS: "2",
  WORLD_SAVE_INTERVAL: "1",
  GENERATOR_PACE_MS: "0",
  BOOTSTRAP_ADMIN_USERNAME: "test_admin",
  BOOTSTRAP_ADMIN_EMAIL: "test_admin@example.test",
  BOOTSTRAP_ADMIN_PASSWORD: "test-admin-password-1",
};

/**
 * For a describe whose servers are spawned on their own embedded database and
 * in-process presence whatever backend the suite runs on: it would check the very same
 * thing in both passes, so it runs in the embedded pass only. Call it in the describe's
 * first `before` hook.
 */
export function embeddedOnly(ctx: Mocha.Context): void {
  if (process.env.TEST_DATABASE_URL) ctx.skip();
}

/**
 * For a describe (or a test) that checks the same thing whatever the backend, and costs
 * much: spawned processes on their own embedded database, or a page in a real browser.
 * Run alone, the suite runs it on whichever backend it is on. When .ci/run runs the
 * embedded and the Postgres + Redis passes side by side (TEST_PASSES_SIDE_BY_SIDE=1), it
 * runs in `pass` only, the two passes sharing such work so that neither is the long one.
 * Call it in the describe's first `before` hook, or first in the test.
 */
export function inOnePass(ctx: Mocha.Context, pass: "embedded" | "real"): void {
  if (process.env.TEST_PASSES_SIDE_BY_SIDE !== "1") return;
  if ((pass === "real") !== Boolean(process.env.TEST_DATABASE_URL)) ctx.skip();
}

/**
 * For a test whose backend-specific part another test of the same describe already
 * checks on the embedded database, and whose cost is mostly spawning servers: it runs in
 * the Postgres + Redis pass only, whose lane in CI has room beside the longer embedded
 * pass. Call it first in the test.
 */
export function realBackendOnly(ctx: Mocha.Context): void {
  if (!process.env.TEST_DATABASE_URL) ctx.skip();
}
