import { ServerError } from "@colyseus/core";
import type { Logger } from "../../infra/logger";
import { DomainError } from "../../services/errors";

/**
 * The room edge's translation of errors, the twin of the HTTP problem handler: a
 * domain error keeps its status (a rejected join) or code (an `error` message); any
 * other error is logged and reaches the client as `internal_error` only.
 */
export function toJoinRejection(err: unknown, logger: Logger): ServerError {
  if (err instanceof DomainError) return new ServerError(err.status, err.code);
  if (err instanceof ServerError) return err;
  logger.error({ err }, "join failed");
  return new ServerError(500, "internal_error");
}

export interface RoomErrorMessage {
  code: string;
  message: string;
  errors?: { field: string; message: string }[];
  /** Seconds to wait before trying again (`rate_limited`). */
  retry_after?: number;
}

export function toErrorMessage(err: unknown, logger: Logger): RoomErrorMessage {
  if (err instanceof DomainError) {
    const retryAfter = err.headers?.["Retry-After"];
    return {
      code: err.code,
      message: err.message,
      ...(err.errors ? { errors: err.errors } : {}),
      ...(retryAfter ? { retry_after: Number(retryAfter) } : {}),
    };
  }
  logger.error({ err }, "room message handler failed");
  return { code: "internal_error", message: "Something went wrong on our side." };
}
