import type { z } from "zod";
import { validationFailed, type FieldError } from "./errors";

/**
 * Validation shared by every edge (REST bodies, queries and paths, room messages, join
 * options, the CLI): zod issues become the `errors: [{field, message}]` of api.md in
 * one voice, and one string rule holds for all input before any schema sees it.
 */

/** Nesting deeper than this is no legitimate request of ours, and only costs CPU to walk. */
export const MAX_INPUT_DEPTH = 32;

/** Issues carry the offending input, so that a missing field ("is required") is told from a wrong one. */
const PARSE_PARAMS = { reportInput: true } as const;

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

/** zod issues → the `errors: [{field, message}]` of api.md, one entry per field. */
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

/** Parses `input` with `schema` or throws 400 `validation_failed` naming every field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): z.output<S> {
  const problems = inputProblems(input, prefix);
  if (problems.length > 0) throw validationFailed(problems);
  const result = schema.safeParse(input, PARSE_PARAMS);
  if (!result.success) throw validationFailed(toFieldErrors(result.error, prefix));
  return result.data;
}

/** The same as parseOrThrow, as a result: for edges that answer errors instead of throwing (rooms). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): { ok: true; data: z.output<S> } | { ok: false; errors: FieldError[] } {
  const problems = inputProblems(input);
  if (problems.length > 0) return { ok: false, errors: problems };
  const result = schema.safeParse(input, PARSE_PARAMS);
  return result.success ? { ok: true, data: result.data } : { ok: false, errors: toFieldErrors(result.error) };
}
