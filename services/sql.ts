import { QueryFailedError } from "typeorm";

/**
 * Small SQL helpers every service shares, so that each rule is written once: what an
 * id looks like, how user text becomes a LIKE pattern, which constraint a write broke.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids arrive as path text; one that is not a UUID names nothing, so callers answer 404, not 400. */
export const isUuid = (id: unknown): id is string => typeof id === "string" && UUID.test(id);

const escapeLike = (text: string) => text.replace(/[\\%_]/g, "\\$&");

/** `q` as a case-insensitive LIKE prefix (lower-cased), its wildcards taken literally; use with `ESCAPE '\'`. */
export const likePrefix = (q: string) => `${escapeLike(q.toLowerCase())}%`;

/** `q` as a LIKE substring pattern, its wildcards taken literally; use with `ILIKE ... ESCAPE '\'`. */
export const likeContains = (q: string) => `%${escapeLike(q)}%`;

/** The Postgres error a failed statement carried: its SQLSTATE and, for constraint errors, the constraint. */
export function pgError(err: unknown): { code?: string; constraint?: string } | undefined {
  return err instanceof QueryFailedError ? (err.driverError as { code?: string; constraint?: string }) : undefined;
}

/** The unique index or constraint a write violated (SQLSTATE 23505), if that is why it failed. */
export const uniqueViolation = (err: unknown): string | undefined => {
  const e = pgError(err);
  return e?.code === "23505" ? e.constraint : undefined;
};

/** Whether a write failed on a foreign key (SQLSTATE 23503): something still refers to the row. */
export const foreignKeyViolation = (err: unknown): boolean => pgError(err)?.code === "23503";
