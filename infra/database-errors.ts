/**
 * Which database failures mean "Postgres is unreachable" rather than "this statement is
 * wrong": the one classification the edges (HTTP problem handler, room error helper)
 * and the database's outage monitor share. A connection-level failure is answered 503
 * and retried by the client; anything else stays a bug.
 */

/** Socket-level failures of reaching the server at all. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * SQLSTATEs of a server that is going away or not taking sessions: admin_shutdown,
 * crash_shutdown, cannot_connect_now, too_many_connections; class 08 (connection
 * exception) is matched by prefix.
 */
const SERVER_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** What node-postgres and its pool say when a connection dies or cannot be had in time. */
const DRIVER_MESSAGES = [
  /^Connection terminated/, // "... unexpectedly", "... due to connection timeout"
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];

/** True when `err` (or what it wraps: TypeORM's `driverError`, an `Error.cause`) is a lost or refused database connection. */
export function isConnectionError(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === "object" && !seen.has(e); ) {
    seen.add(e);
    if (e instanceof ConnectionLost) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof message === "string" && DRIVER_MESSAGES.some((m) => m.test(message))) return true;
    e = (e as { driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A transaction's connection failed between its statements. TypeORM then releases the
 * query runner, so the next statement fails with "already released" rather than with
 * the connection's own error; this names what happened. Nothing was committed.
 */
export class ConnectionLost extends Error {
  constructor(cause: unknown) {
    super("the database connection was lost during a transaction", { cause });
    this.name = "ConnectionLost";
  }
}

/**
 * The connection was lost while `COMMIT` was on its way: the server may have committed
 * or not, and this process cannot tell. Callers that write under an idempotency key
 * answer it so the client retries with the same key.
 */
export class CommitOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super("the database connection was lost during COMMIT", { cause });
    this.name = "CommitOutcomeUnknown";
  }
}
