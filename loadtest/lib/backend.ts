import crypto from "node:crypto";
import { Client } from "pg";

/** Where a real-backend benchmark finds its services, unless BENCH_DATABASE_URL / BENCH_REDIS_URL say otherwise. */
export const REAL_BACKEND = {
  database: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redis: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/14",
};

/**
 * A database of its own for one benchmark run on the real backend, created on the
 * server of `base` and dropped by `drop`, so no run sees another's rows.
 */
export async function freshDatabase(base = REAL_BACKEND.database): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tavern_bench_${crypto.randomBytes(3).toString("hex")}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
