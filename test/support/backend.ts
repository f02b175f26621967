import crypto from "node:crypto";
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
 * own (dropped after) and a Redis database index of its own.
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
  const redisUrl = new URL(redisBase);
  redisUrl.pathname = `/${1 + crypto.randomInt(15)}`;
  return {
    name: `postgres (${dbName}) + redis (${redisUrl.pathname})`,
    env: { DATABASE_URL: url.toString(), REDIS_URL: redisUrl.toString() },
    dispose: async () => {
      const c = new Client({ connectionString: pgBase });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Configuration every test server shares: quiet, cheap (but real) argon2, generous limits. */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: "test",
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
  JWT_SECRET: "test-secret-test-secret-test-secret-0123456789",
  ARGON2_MEMORY_KIB: "4096",
  ARGON2_ITERATIONS: "1",
  RATE_LIMIT_AUTH_PER_MINUTE: "100000",
  // Short enough that a test can watch a dropped seat expire and a periodic save land.
  WORLD_RECONNECT_SECONDS: "2",
  WORLD_SAVE_INTERVAL: "1",
  GENERATOR_PACE_MS: "0",
  BOOTSTRAP_ADMIN_USERNAME: "test_admin",
  BOOTSTRAP_ADMIN_EMAIL: "test_admin@example.test",
  BOOTSTRAP_ADMIN_PASSWORD: "test-admin-password-1",
};
