import { ServerError } from "@colyseus/core";
import type { Logger } from "../../infra/logger";
import { databaseFailure } from "../../services/database-failures";
import { DomainError } from "../../services/errors";

/**
 * The room edge's translation of errors, the twin of the HTTP problem handler: a
 * domain error keeps its status (a rejected join) or code (an `error` message); an
 * unreachable database is `service_unavailable` (or `outcome_unknown` for a lost
 * commit), logged once per outage by the database; any other error is logged and
 * reaches the client as `internal_error` only.
 */
export function toJoinRejection(err: unknown, logger: Logger): ServerError {
  const known = err instanceof DomainError ? err : databaseFailure(err);
  if (known) return new ServerError(known.status, known.code);
  if (err instanceof ServerError) return err;
  logger.error({ err }, "join failed");
  return new ServerError(500, "internal_error");
}

export interface RoomErrorMessage {
  code: string;
  message: string;
  errors?: { field: string; message: string }[];
  /** Seconds to wait before trying again (`rate_limited`, `service_unavailable`, `outcome_unknown`). */
  retry_after?: number;
}

export function toErrorMessage(err: unknown, logger: Logger): RoomErrorMessage {
  const known = err instanceof DomainError ? err : databaseFailure(err);
  if (known) {
    const retryAfter = known.headers?.["Retry-After"];
    return {
      code: known.code,
      message: known.message,
      ...(known.errors ? { errors: known.errors } : {}),
      ...(retryAfter ? { retry_after: Number(retryAfter) } : {}),
    };
  }
  logger.error({ err }, "room message handler failed");
  return { code: "internal_error", message: "Something went wrong on our side." };
}

/**
 * Logs a failure of a room's background work (a delivery, a refresh) at error level,
 * unless it is the database being unreachable: that outage is logged once by the
 * database, and the work is retried by the next signal.
 */
export function logRoomFailure(logger: Logger, err: unknown, fields: Record<string, unknown>, message: string): void {
  if (databaseFailure(err)) return;
  logger.error({ err, ...fields }, message);
}
