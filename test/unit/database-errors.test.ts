import assert from "node:assert/strict";
import { QueryFailedError } from "typeorm";
import { ConnectionLost, isConnectionError } from "../../infra/database-errors";

/** What node-postgres and Postgres raise, shaped as they raise it. */
const pgError = (code: string, message = "server said no") => Object.assign(new Error(message), { code, severity: "FATAL" });
const netError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: "connect" });

describe("which database failures mean Postgres is unreachable", () => {
  for (const [what, err] of [
    ["a refused connection", netError("ECONNREFUSED")],
    ["a reset connection", netError("ECONNRESET")],
    ["an unknown host", netError("ENOTFOUND")],
    ["the server shutting down (57P01 admin_shutdown)", pgError("57P01", "terminating connection due to administrator command")],
    ["a server not taking sessions (57P03 cannot_connect_now)", pgError("57P03", "the database system is shutting down")],
    ["too many connections (53300)", pgError("53300")],
    ["a connection exception (class 08)", pgError("08006")],
    ["a connection that ended mid-query", new Error("Connection terminated unexpectedly")],
    ["a connection attempt that timed out", new Error("Connection terminated due to connection timeout", { cause: new Error("x") })],
    ["no pooled connection free in time", new Error("timeout exceeded when trying to connect")],
    ["a client whose connection already failed", new Error("Client has encountered a connection error and is not queryable")],
    ["any of these wrapped by TypeORM", new QueryFailedError("SELECT 1", [], pgError("57P01"))],
    ["a transaction whose connection failed between statements", new ConnectionLost(new Error("already released"))],
    ["any of these as the cause of another error", new Error("wrapped", { cause: netError("ECONNREFUSED") })],
  ] as const) {
    it(`${what}: unreachable`, () => assert.equal(isConnectionError(err), true));
  }

  for (const [what, err] of [
    ["a unique violation", new QueryFailedError("INSERT", [], pgError("23505", "duplicate key"))],
    ["a syntax error", pgError("42601")],
    ["a statement timeout", pgError("57014", "canceling statement due to statement timeout")],
    ["a serialization failure", pgError("40001")],
    ["a plain bug", new TypeError("cannot read properties of undefined")],
    ["not an error at all", "ECONNREFUSED"],
  ] as const) {
    it(`${what}: not unreachable`, () => assert.equal(isConnectionError(err), false));
  }
});
