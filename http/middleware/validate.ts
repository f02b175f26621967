import type { z } from "zod";
import { validationFailed, type FieldError } from "../../services/errors";

/** zod issues → the `errors: [{field, message}]` of api.md, one entry per field. */
export function toFieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: base ? `${base}.${key}` : key, message: "is unknown" });
    } else if (issue.code === "invalid_type" && issue.input === undefined) {
      out.push({ field: base || "body", message: "is required" });
    } else {
      out.push({ field: base || "body", message: issue.message });
    }
  }
  return out;
}

/** Parses `input` with `schema` or throws 400 `validation_failed` naming every field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationFailed(toFieldErrors(result.error, prefix));
  return result.data;
}
