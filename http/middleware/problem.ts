import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import type { Logger } from "../../infra/logger";
import { databaseFailure } from "../../services/database-failures";
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
  415: "Unsupported Media Type",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** The RFC 9457 document of a domain error. */
export function problemBody(err: DomainError): Record<string, unknown> {
  return {
    type: `urn:tavern:problem:${err.code}`,
    title: TITLES[err.status] ?? "Error",
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(err.errors ? { errors: err.errors } : {}),
  };
}

export function sendProblem(res: Response, err: DomainError, extra: Record<string, unknown> = {}) {
  for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
  res
    .status(err.status)
    .type("application/problem+json")
    .json({ ...problemBody(err), ...extra });
}

/**
 * What a failure before any route (reading and decoding a body, decoding the path) means
 * for the client; undefined for anything else. body-parser and the router mark the
 * client's errors with a 4xx `status`; everything they do not mark is ours.
 */
export function problemFromParserError(err: unknown): DomainError | undefined {
  const e = err as { type?: string; status?: number; name?: string; errno?: number };
  switch (e?.type) {
    case "entity.parse.failed":
      return validationFailed([{ field: "body", message: "is not valid JSON" }]);
    case "entity.too.large":
      return new DomainError(413, "payload_too_large", "The request body is too large.");
    case "encoding.unsupported":
      return new DomainError(415, "unsupported_media_type", "The body's Content-Encoding is not supported (use gzip, br, deflate or none).");
    case "charset.unsupported":
      return new DomainError(415, "unsupported_media_type", "The body's charset is not supported (use UTF-8).");
    case "request.aborted":
    case "request.size.invalid":
      return validationFailed([{ field: "body", message: "was not received whole" }]);
  }
  // A zlib or brotli failure while inflating the body: body-parser marks it 400.
  if (typeof e?.errno === "number" && e.status === 400) {
    return validationFailed([{ field: "body", message: "is not validly compressed for its Content-Encoding" }]);
  }
  if (e?.name === "URIError" && e.status === 400) {
    return new DomainError(404, "not_found", "Nothing is found at a path that is not valid percent-encoding.");
  }
  return undefined;
}

/** Anything no route matched. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`route ${req.method} ${req.path}`));
};

/**
 * The one translation of errors into RFC 9457 problem documents. Domain errors carry
 * their own status and code; the body parser's and the router's are mapped; a database
 * that is unreachable is a 503 (logged once per outage by the database, not here);
 * anything else is a bug, logged with the request id and answered with nothing but that id.
 */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof DomainError) return sendProblem(res, err);
    const clientError = problemFromParserError(err);
    if (clientError) return sendProblem(res, clientError);
    const unavailable = databaseFailure(err);
    if (unavailable) return sendProblem(res, unavailable);
    const requestId = String(req.id ?? "");
    logger.error({ err, request_id: requestId }, "unhandled error");
    sendProblem(res, new DomainError(500, "internal_error", "Something went wrong on our side."), {
      request_id: requestId,
    });
  };
}
