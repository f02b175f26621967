import { GeneratorError } from "../infra/generator/generator";
import { DomainError } from "./errors";

/**
 * How a generator failure reaches a client, for every edge that generates text (REST
 * problem documents, SSE and room `error` events): stable codes, our own words, never
 * the provider's.
 */
export function generatorProblem(err: GeneratorError): DomainError {
  switch (err.code) {
    case "timeout":
      return new DomainError(504, "generator_timeout", "The text generator did not answer in time.");
    case "rate_limited":
      return new DomainError(503, "generator_rate_limited", "The text generator is busy; try again shortly.", undefined, {
        "Retry-After": String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? 5))),
      });
    case "cancelled":
      return new DomainError(503, "generation_cancelled", "The generation was cancelled.");
    case "provider_error":
      return new DomainError(502, "generator_failed", `The text generator failed: ${err.message}.`);
  }
}

/** For `catch (err) { throw asProblem(err); }`: generator failures become problems, anything else stays itself. */
export const asProblem = (err: unknown): unknown => (err instanceof GeneratorError ? generatorProblem(err) : err);

/** `{code, message}` of an `error` event: a generator failure's problem, or an opaque internal error. */
export function errorEvent(err: unknown): { code: string; message: string } {
  if (err instanceof GeneratorError) {
    const problem = generatorProblem(err);
    return { code: problem.code, message: problem.message };
  }
  if (err instanceof DomainError) return { code: err.code, message: err.message };
  return { code: "internal_error", message: "Something went wrong on our side." };
}
