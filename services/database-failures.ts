import { CommitOutcomeUnknown, isConnectionError } from "../infra/database-errors";
import { type DomainError, outcomeUnknown, serviceUnavailable } from "./errors";

/**
 * What a database failure means for the client, or undefined when it is not one the
 * client can act on (a bug). The edges answer it instead of a 500: the outage itself is
 * logged once by the database's outage monitor, never per request.
 */
export function databaseFailure(err: unknown): DomainError | undefined {
  if (err instanceof CommitOutcomeUnknown) return outcomeUnknown();
  if (isConnectionError(err)) return serviceUnavailable("database");
  return undefined;
}
