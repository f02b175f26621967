import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import type { Logger } from "../../infra/logger";
import { DomainError, notFound, validationFailed } from "../../services/errors";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Content Too Large",
  428: "Precondition Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function sendProblem(res: Response, err: DomainError, extra: Record<string, unknown> = {}) {
  for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
  res
    .status(err.status)
    .type("application/problem+json")
    .json({
      type: `urn:tavern:problem:${err.code}`,
      title: TITLES[err.status] ?? "Error",
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(err.errors ? { errors: err.errors } : {}),
      ...extra,
    });
}

/** Anything no route matched. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`route ${req.method} ${req.path}`));
};

/**
 * The one translation of errors into RFC 9457 problem documents. Domain errors carry
 * their own status and code; body-parser's are mapped; anything else is a bug, logged
 * with the request id and answered with nothing but that id.
 */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof DomainError) return sendProblem(res, err);
    const type = (err as { type?: string }).type;
    if (type === "entity.parse.failed") {
      return sendProblem(res, validationFailed([{ field: "body", message: "is not valid JSON" }]));
    }
    if (type === "entity.too.large") {
      return sendProblem(res, new DomainError(413, "payload_too_large", "The request body is too large."));
    }
    if (type === "encoding.unsupported" || type === "charset.unsupported") {
      return sendProblem(res, new DomainError(415 as number, "unsupported_media_type", "Unsupported body encoding."));
    }
    const requestId = String(req.id ?? "");
    (req.log ?? logger).error({ err, request_id: requestId }, "unhandled error");
    sendProblem(res, new DomainError(500, "internal_error", "Something went wrong on our side."), {
      request_id: requestId,
    });
  };
}
