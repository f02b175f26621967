import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Pool } from "pg";
import { PreparedStatements } from "../../infra/pglite-statements";
import { percentile } from "../lib/table";

/**
 * Reference for point uses: the bare conditional update a use is built on,
 * `UPDATE ... SET balance = balance - $1 WHERE user_id = $2 AND balance >= $1`, issued
 * straight at the product's database (the same PGlite directory once the server has
 * stopped, each statement prepared once as the product's driver does, or the same
 * Postgres database through a pool of the product's size) at the
 * same concurrency, for `SECONDS` on one balance and then on many; then a use's own
 * statement (the update feeding its ledger row) on the many, to tell the SQL a use
 * needs from the server around it. Prints `{"one": {...}, "many": {...}, "ledger": {...}}` with statements/s and p99 latency in ms, and whether
 * each balance moved by exactly the number of updates that succeeded.
 */

type Query = (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

const UPDATE = `UPDATE point_balances SET balance = balance - $1 WHERE user_id = $2 AND balance >= $1 RETURNING balance`;

/** A use's own statement (services/payments/ledger.ts): the same update, feeding its ledger row. */
const LEDGER = `WITH changed AS (
    UPDATE point_balances SET balance = balance - $1::bigint, updated_at = now()
    WHERE user_id = $2::uuid AND balance >= $1::bigint
    RETURNING balance
  ) INSERT INTO point_transactions (user_id, delta, balance_after, reason, ref, idempotency_key)
  SELECT $2::uuid, -$1::bigint, balance, 'bench', NULL, NULL FROM changed
  RETURNING id`;

async function total(query: Query, ids: string[]): Promise<number> {
  const { rows } = await query(`SELECT coalesce(sum(balance), 0)::text AS total FROM point_balances WHERE user_id = ANY($1::uuid[])`, [ids]);
  return Number(rows[0]!.total);
}

async function run(query: Query, ids: string[], concurrency: number, seconds: number, sql = UPDATE) {
  const before = await total(query, ids);
  const latencies: number[] = [];
  let succeeded = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        const t0 = performance.now();
        const { rows } = await query(sql, [1, id]);
        latencies.push(performance.now() - t0);
        if (rows.length === 1) succeeded++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = await total(query, ids);
  return { per_second: succeeded / elapsed, p99_ms: percentile(latencies, 99), succeeded, exact: before - after === succeeded };
}

async function main() {
  const concurrency = Number(process.env.CONCURRENCY ?? 50);
  const seconds = Number(process.env.SECONDS ?? 10);
  const one = process.env.ONE_USER_ID!;
  const many = process.env.MANY_USER_IDS!.split(",");
  const url = process.env.DATABASE_URL;
  let query: Query;
  let close: () => Promise<void>;
  if (url) {
    const pool = new Pool({ connectionString: url, max: Number(process.env.POOL_SIZE ?? 20) });
    query = (sql, params) => pool.query(sql, params);
    close = () => pool.end();
  } else {
    const db = new PGlite(path.resolve(process.env.DATA_DIR!, "pglite"));
    const statements = new PreparedStatements(db);
    query = (sql, params) => statements.query(sql, params) as Promise<{ rows: Record<string, unknown>[] }>;
    close = () => db.close();
  }
  try {
    const result = {
      one: await run(query, [one], concurrency, seconds),
      many: await run(query, many, concurrency, seconds),
      ledger: await run(query, many, concurrency, seconds, LEDGER),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
