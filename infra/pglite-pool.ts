import { EventEmitter } from "node:events";
import { PGlite, types } from "@electric-sql/pglite";
import { commandOf, PreparedStatements } from "./pglite-statements";

/**
 * A `pg`-shaped driver for TypeORM over one PGlite instance.
 *
 * PGlite is a single Postgres session: two transactions issued concurrently would
 * interleave on it (a rollback of one would undo the other's statements). So this pool
 * behaves like a `pg` pool of size one: a query runner holds the session from `connect`
 * until it releases it, and everyone else waits in arrival order. Transactions are
 * therefore serialised, exactly as they would be on a one-connection Postgres pool.
 */
export function createPGliteDriver(db: PGlite) {
  const waiters: Array<() => void> = [];
  let busy = false;
  const statements = new PreparedStatements(db);

  const acquire = () =>
    new Promise<void>((resolve) => {
      if (!busy) {
        busy = true;
        resolve();
      } else {
        waiters.push(resolve);
      }
    });
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else busy = false;
  };

  class PGliteClient extends EventEmitter {
    async query(sql: string, params?: unknown[]) {
      if (params && params.length > 0) {
        const result = await statements.query(sql, params);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length, command: commandOf(sql) };
      }
      // Without parameters a string may hold several statements (migrations do).
      const results = await db.exec(sql);
      await statements.afterExec(sql);
      const last = results[results.length - 1];
      return {
        rows: last?.rows ?? [],
        rowCount: last?.affectedRows ?? last?.rows.length ?? 0,
        command: commandOf(sql),
      };
    }
  }

  class Pool extends EventEmitter {
    connect(callback: (err: Error | null, client?: PGliteClient, done?: (err?: Error) => void) => void) {
      acquire().then(() => {
        let released = false;
        callback(null, new PGliteClient(), () => {
          if (released) return;
          released = true;
          release();
        });
      }, callback);
    }

    end(callback?: (err?: Error) => void) {
      db.close().then(() => callback?.(), (err: Error) => callback?.(err));
    }
  }

  return { Pool };
}

/** Booleans arrive from TypeORM as JS values; PGlite's default serializer expects strings. */
export const pgliteSerializers = {
  [types.BOOL]: (v: unknown) => (v === true || v === "true" || v === 1 ? "t" : v === false || v === "false" || v === 0 ? "f" : String(v)),
};
