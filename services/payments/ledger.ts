import type { EntityManager } from "typeorm";

/**
 * The points ledger in SQL: every change of a balance is one statement that changes the
 * balance row and inserts its ledger row together (a data-modifying CTE), so the two
 * commit or fail as one whether or not the caller holds a transaction, and the sum of a
 * user's ledger rows is their balance at every commit.
 *
 * A debit is the conditional update `balance >= amount`: concurrent debits queue on the
 * balance row's lock and each re-checks the balance it finds, so no interleaving loses
 * an update or goes below zero (the CHECK constraint would refuse it anyway).
 */

export interface Change {
  userId: string;
  /** Points added (credit) or taken (debit); always positive. */
  amount: number;
  reason: string;
  ref?: string | null;
  /** At most one ledger row per user and key (a unique index). */
  idempotencyKey?: string | null;
}

export interface Applied {
  transactionId: string;
  delta: number;
  balance: number;
}

export interface LedgerRow {
  id: string;
  delta: string;
  balance_after: string;
  reason: string;
  ref: string | null;
  created_at: Date;
}

/** The unique index that makes an idempotency key spend once. */
export const IDEMPOTENCY_INDEX = "point_transactions_idempotency";

const INSERT_ROW = `INSERT INTO point_transactions (user_id, delta, balance_after, reason, ref, idempotency_key)
  SELECT $1::uuid, $5::bigint, balance, $3::text, $4::text, $6::text FROM changed
  RETURNING id, delta, balance_after`;

const CREDIT = `WITH changed AS (
    INSERT INTO point_balances AS b (user_id, balance) VALUES ($1::uuid, $2::bigint)
    ON CONFLICT (user_id) DO UPDATE SET balance = b.balance + EXCLUDED.balance, updated_at = now()
    RETURNING balance
  ) ${INSERT_ROW}`;

const DEBIT = `WITH changed AS (
    UPDATE point_balances SET balance = balance - $2::bigint, updated_at = now()
    WHERE user_id = $1::uuid AND balance >= $2::bigint
    RETURNING balance
  ) ${INSERT_ROW}`;

/**
 * Many debits of distinct users as one statement (see DebitBatches): the same
 * conditional update per user, each feeding its own ledger row. The balance rows are
 * locked in user order first, so two such statements sharing users queue instead of
 * deadlocking; a single debit locks one row and cannot deadlock with them.
 */
const DEBIT_MANY = `WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS i(user_id, amount, reason, ref, idempotency_key)
  ), locked AS (
    SELECT b.user_id FROM point_balances b WHERE b.user_id IN (SELECT user_id FROM input) ORDER BY b.user_id FOR UPDATE
  ), changed AS (
    UPDATE point_balances b SET balance = b.balance - i.amount, updated_at = now()
    FROM input i JOIN locked l USING (user_id)
    WHERE b.user_id = i.user_id AND b.balance >= i.amount
    RETURNING b.user_id, b.balance
  ) INSERT INTO point_transactions (user_id, delta, balance_after, reason, ref, idempotency_key)
  SELECT i.user_id, -i.amount, c.balance, i.reason, i.ref, i.idempotency_key FROM changed c JOIN input i USING (user_id)
  RETURNING user_id, id, delta, balance_after`;

type Row = { id: string; delta: string; balance_after: string };
const toApplied = (row: Row): Applied => ({ transactionId: row.id, delta: Number(row.delta), balance: Number(row.balance_after) });

const params = (c: Change, delta: number) => [c.userId, c.amount, c.reason, c.ref ?? null, delta, c.idempotencyKey ?? null];

/** Adds points; the balance row is created by the first credit. A user that does not exist fails on the foreign key. */
export async function credit(m: EntityManager, change: Change): Promise<Applied> {
  const [row]: Row[] = await m.query(CREDIT, params(change, change.amount));
  return toApplied(row!);
}

/** Takes points if the balance holds them; undefined when it does not. */
export async function debit(m: EntityManager, change: Change): Promise<Applied | undefined> {
  const [row]: Row[] = await m.query(DEBIT, params(change, -change.amount));
  return row ? toApplied(row) : undefined;
}

/**
 * Debits of distinct users in one statement: for each change, in order, what `debit`
 * would answer. One change that breaks a constraint (a reused idempotency key) fails
 * them all, as one statement.
 */
export async function debitMany(m: EntityManager, changes: readonly Change[]): Promise<(Applied | undefined)[]> {
  const rows: (Row & { user_id: string })[] = await m.query(DEBIT_MANY, [
    changes.map((c) => c.userId),
    changes.map((c) => c.amount),
    changes.map((c) => c.reason),
    changes.map((c) => c.ref ?? null),
    changes.map((c) => c.idempotencyKey ?? null),
  ]);
  const byUser = new Map(rows.map((row) => [row.user_id, toApplied(row)]));
  return changes.map((c) => byUser.get(c.userId.toLowerCase()));
}

/** The ledger row a user's idempotency key produced, if any. */
export async function findByKey(m: EntityManager, userId: string, key: string): Promise<Applied | undefined> {
  const [row]: Row[] = await m.query(
    `SELECT id, delta, balance_after FROM point_transactions WHERE user_id = $1 AND idempotency_key = $2`,
    [userId, key],
  );
  return row ? toApplied(row) : undefined;
}

export async function balanceOf(m: EntityManager, userId: string): Promise<number> {
  const [row]: { balance: string }[] = await m.query(`SELECT balance FROM point_balances WHERE user_id = $1`, [userId]);
  return row ? Number(row.balance) : 0;
}

/** A user's ledger, newest first, and how many rows it has. */
export async function history(m: EntityManager, userId: string, limit: number, offset: number): Promise<{ rows: LedgerRow[]; total: number }> {
  const [rows, [count]]: [LedgerRow[], { total: number }[]] = await Promise.all([
    m.query(
      `SELECT id, delta, balance_after, reason, ref, created_at FROM point_transactions WHERE user_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3`,
      [userId, limit, offset],
    ),
    m.query(`SELECT count(*)::int AS total FROM point_transactions WHERE user_id = $1`, [userId]),
  ]);
  return { rows, total: count!.total };
}

export interface Mismatch {
  user_id: string;
  balance: number;
  ledger_sum: number;
}

/**
 * Every user whose balance differs from the sum of their ledger rows, and how many
 * users were checked: one statement, so one snapshot, however busy the ledger is.
 */
export async function audit(m: EntityManager): Promise<{ checked: number; mismatches: Mismatch[] }> {
  const [row]: { checked: number; mismatches: { user_id: string; balance: string; ledger_sum: string }[] }[] = await m.query(`
    SELECT (SELECT count(*)::int FROM users) AS checked,
      (SELECT coalesce(json_agg(x ORDER BY x.user_id), '[]'::json) FROM (
        SELECT u.id AS user_id, coalesce(b.balance, 0)::text AS balance, coalesce(l.total, 0)::text AS ledger_sum
        FROM users u
        LEFT JOIN point_balances b ON b.user_id = u.id
        LEFT JOIN (SELECT user_id, sum(delta) AS total FROM point_transactions GROUP BY user_id) l ON l.user_id = u.id
        WHERE coalesce(b.balance, 0) <> coalesce(l.total, 0)
      ) x) AS mismatches`);
  const mismatches = typeof row!.mismatches === "string" ? JSON.parse(row!.mismatches) : row!.mismatches;
  return {
    checked: row!.checked,
    mismatches: (mismatches as { user_id: string; balance: string; ledger_sum: string }[]).map((x) => ({
      user_id: x.user_id,
      balance: Number(x.balance),
      ledger_sum: Number(x.ledger_sum),
    })),
  };
}
