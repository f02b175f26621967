import type { z } from "zod";
import { badRequest, validationFailed, type DomainError, type FieldError } from "./errors";

/**
 * Validation shared by every edge (REST bodies, queries and paths, room messages, join
 * options, the CLI): zod issues become the `errors: [{field, message}]` of the API's problem documents in
 * one voice, and one string rule holds for all input before any schema sees it.
 */

/** Nesting deeper than this is no legitimate request of ours, and only costs CPU to walk. */
export const MAX_INPUT_DEPTH = 32;

/** Issues carry the value they refused: without it a value of the wrong type would read as missing ("is required"). */
const WITH_INPUT = { reportInput: true } as const;

const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

const sizeUnit = (origin: unknown) =>
  origin === "string" ? "characters" : origin === "array" || origin === "set" ? "items" : origin === "file" ? "bytes" : "";

/** One issue in the project's voice: short, for people, naming the limit. Authors' own messages are kept. */
function messageOf(issue: z.core.$ZodIssue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      if (issue.expected === "int") return "must be a whole number";
      return `must be ${article(issue.expected)}`;
    case "too_small": {
      const unit = sizeUnit(issue.origin);
      if (unit) return issue.minimum === 1 && unit === "characters" ? "must not be empty" : `must have at least ${issue.minimum} ${unit}`;
      return `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
    }
    case "too_big": {
      const unit = sizeUnit(issue.origin);
      if (unit) return `must have at most ${issue.maximum} ${unit}`;
      return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
    }
    case "invalid_format":
      return `must be ${FORMATS[issue.format] ?? `a valid ${issue.format}`}`;
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "invalid_union":
      return "is not any of the accepted forms";
    case "invalid_key":
      return "has a key that is not valid";
    default:
      return "is not valid";
  }
}

const FORMATS: Record<string, string> = {
  email: "an email address",
  uuid: "a UUID",
  url: "a URL",
  datetime: "an ISO 8601 date-time such as 2026-01-31T12:00:00Z",
  date: "a date such as 2026-01-31",
  regex: "in the expected format",
};

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** zod issues → the `errors: [{field, message}]` of a problem document, one entry per field. */
export function toFieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: base ? `${base}.${key}` : key, message: "is unknown" });
    } else {
      out.push({ field: base || "body", message: messageOf(issue) });
    }
  }
  return out;
}

/**
 * The one string rule: no NUL character in any string or key (Postgres cannot store
 * one), and no nesting past MAX_INPUT_DEPTH. Walks iteratively, so hostile depth
 * cannot exhaust the stack. Returns the offending fields.
 */
export function inputProblems(input: unknown, prefix = ""): FieldError[] {
  const problems: FieldError[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: prefix, depth: 0 }];
  while (stack.length > 0 && problems.length < 20) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === "string") {
      if (value.includes("\u0000")) problems.push({ field: path || "body", message: "must not contain NUL characters" });
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_INPUT_DEPTH) {
      problems.push({ field: path || "body", message: `is nested more than ${MAX_INPUT_DEPTH} levels deep` });
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes("\u0000")) problems.push({ field: childPath.replace(/\u0000/g, "\\u0000"), message: "must not contain NUL characters" });
      else stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return problems;
}

/**
 * Parses `input` with `schema` or throws 400 naming every field: `validation_failed`, or
 * the problem code that every failed check stands for (see `codedIssue`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): z.output<S> {
  const problems = inputProblems(input, prefix);
  if (problems.length > 0) throw validationFailed(problems);
  const result = schema.safeParse(input, WITH_INPUT);
  if (!result.success) throw failure(result.error, prefix);
  return result.data;
}

/**
 * A custom check's issue that stands for a problem code of its own (the API's
 * `weak_password`): when every issue of a failure names the same code, the 400 carries
 * it instead of `validation_failed`, with the same field errors.
 */
export const codedIssue = (code: string, message: string, path: PropertyKey[] = []) =>
  ({ code: "custom", message, path, params: { problem: code } }) as const;

function failure(error: z.ZodError, prefix: string): DomainError {
  const errors = toFieldErrors(error, prefix);
  const codes = new Set(error.issues.map((issue) => (issue.code === "custom" ? (issue.params as { problem?: string } | undefined)?.problem : undefined)));
  const [code] = codes;
  return codes.size === 1 && code ? badRequest(code, describeFieldErrors(errors), errors) : validationFailed(errors);
}

/** Field errors as one sentence for `detail`: "The new password must have at least 8 characters and must contain a digit." */
export function describeFieldErrors(errors: FieldError[]): string {
  const byField = new Map<string, string[]>();
  for (const { field, message } of errors) byField.set(field, [...(byField.get(field) ?? []), message]);
  const parts = [...byField].map(([field, messages]) => `${field.replace(/_/g, " ")} ${and(messages)}`);
  return `The ${parts.join("; the ")}.`;
}

const and = (items: string[]) => (items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`);

/** The same as parseOrThrow, as a result: for edges that answer errors instead of throwing (rooms). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): { ok: true; data: z.output<S> } | { ok: false; errors: FieldError[] } {
  const problems = inputProblems(input);
  if (problems.length > 0) return { ok: false, errors: problems };
  const result = schema.safeParse(input, WITH_INPUT);
  return result.success ? { ok: true, data: result.data } : { ok: false, errors: toFieldErrors(result.error) };
}
