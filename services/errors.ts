/**
 * Domain errors: what a service throws when a rule says no. Only the edges (the HTTP
 * error middleware and the room helper) translate them for clients; any other error
 * is a bug and reaches clients only as an opaque 500 / `internal_error`.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors?: FieldError[],
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = "DomainError";
  }
}

export const badRequest = (code: string, detail: string, errors?: FieldError[]) =>
  new DomainError(400, code, detail, errors);

export const validationFailed = (errors: FieldError[]) =>
  new DomainError(400, "validation_failed", "The request is not valid.", errors);

export const unauthenticated = (detail = "Authentication is required.") =>
  new DomainError(401, "unauthenticated", detail);

export const forbidden = (detail = "You are not allowed to do this.") => new DomainError(403, "forbidden", detail);

/** `resource` names the type: "character not found". */
export const notFound = (resource: string) => new DomainError(404, "not_found", `${resource} not found`);

export const conflict = (code: string, detail: string) => new DomainError(409, code, detail);

export const gone = (resource: string) => new DomainError(410, "gone", `${resource} was deleted`);

export const rateLimited = (retryAfterSeconds: number) =>
  new DomainError(429, "rate_limited", "Too many requests; try again later.", undefined, {
    "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

/**
 * A dependency (database, presence) is down or did not answer in time: nothing was done,
 * and the same request may be retried after `Retry-After` seconds.
 */
export const serviceUnavailable = (dependency: string, retryAfterSeconds = 2) =>
  new DomainError(503, "service_unavailable", `The ${dependency} is unavailable; try again shortly.`, undefined, {
    "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

/**
 * The database lost its connection while committing: the write may or may not have been
 * stored. A retry with the same idempotency key (a message's `client_msg_id`) returns
 * the stored result if there is one.
 */
export const outcomeUnknown = (retryAfterSeconds = 2) =>
  new DomainError(
    503,
    "outcome_unknown",
    "The database connection was lost while committing; the change may have been stored. Retry with the same idempotency key.",
    undefined,
    { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  );
