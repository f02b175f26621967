import type { EntityManager } from "typeorm";
import type { DatabaseKind } from "../../infra/database";
import { pgError } from "../sql";
import { debit, debitMany, type Applied, type Change } from "./ledger";

interface Waiting {
  change: Change;
  resolve(applied: Applied | undefined): void;
  reject(err: unknown): void;
}

export interface DebitBatchLimits {
  /** Statements in flight at once; debits arriving meanwhile wait and go together in the next. */
  statements: number;
  /** Debits in one statement at most. */
  size: number;
}

/**
 * Embedded PGlite runs one statement at a time, so a second in flight would only queue
 * behind the first while holding debits that could have joined it. Postgres runs
 * statements side by side on the pool; two in flight keep it busy while the server
 * gathers the next (1, 2 and 4 measured alike, 8 worse: docs/performance.md).
 */
export const debitBatchLimits = (kind: DatabaseKind): DebitBatchLimits =>
  kind === "pglite" ? { statements: 1, size: 100 } : { statements: 2, size: 100 };

/**
 * Group commit for debits. Under load most of a debit's cost is the statement and its
 * commit, not the row it changes, so the debits that arrive while statements are in
 * flight go together in the next one (`debitMany`), each with its own conditional
 * update and ledger row, committed together before any caller hears of it. A debit that
 * finds nothing in flight waits one turn of the event loop at most, so a quiet server
 * adds next to no wait.
 *
 * One statement holds at most one debit per user (one row cannot be updated twice by a
 * statement); a user's later debits wait for the next. If the statement fails on a
 * constraint or a lock (one debit reusing an idempotency key, a deadlock), each debit
 * runs again alone and meets its own outcome, so one bad debit never fails the others.
 */
export class DebitBatches {
  private waiting: Waiting[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly manager: EntityManager,
    private readonly limits: DebitBatchLimits,
  ) {}

  /** What `debit` answers (undefined when the balance does not hold the amount), once committed. */
  debit(change: Change): Promise<Applied | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ change, resolve, reject });
      this.next();
    });
  }

  /**
   * Starts statements on the next turn of the event loop, not at once: the requests whose
   * bytes arrived in this turn reach their debit first and join it. (PGlite runs a
   * statement without yielding to I/O, so on it nothing could join a statement started
   * at once.)
   */
  private next(): void {
    if (this.scheduled || this.running >= this.limits.statements || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.limits.statements && this.waiting.length > 0) {
        const batch = this.take();
        this.running++;
        void this.run(batch).finally(() => {
          this.running--;
          this.next();
        });
      }
    });
  }

  /** The oldest waiting debit of each user, in arrival order, up to the batch size. */
  private take(): Waiting[] {
    const users = new Set<string>();
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    for (const w of this.waiting) {
      // As Postgres compares uuids: one user spelled twice must not share a statement.
      const user = w.change.userId.toLowerCase();
      if (batch.length < this.limits.size && !users.has(user)) {
        users.add(user);
        batch.push(w);
      } else {
        rest.push(w);
      }
    }
    this.waiting = rest;
    return batch;
  }

  private async run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    let results: (Applied | undefined)[];
    try {
      results = await debitMany(this.manager, batch.map((w) => w.change));
    } catch (err) {
      if (!perDebit(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      await Promise.all(batch.map((w) => this.alone(w)));
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]));
  }

  private alone(w: Waiting): Promise<void> {
    return debit(this.manager, w.change).then(w.resolve, w.reject);
  }
}

/**
 * Errors one debit of a statement can cause for all of them: a broken constraint
 * (class 23) or a transaction rollback (class 40: deadlock, serialization). Anything
 * else (the database unreachable, say) would fail each debit alone the same way.
 */
function perDebit(err: unknown): boolean {
  const code = pgError(err)?.code ?? "";
  return code.startsWith("23") || code.startsWith("40");
}
