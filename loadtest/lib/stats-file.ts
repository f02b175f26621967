import { readFileSync, renameSync, writeFileSync } from "node:fs";

/**
 * The files through which a load process (bots, a bare reference) reports to the
 * benchmark that polls them. A writer replaces the file whole (write a temporary
 * file, then rename over it, which is atomic on one filesystem), so a reader never
 * sees half of one; a reader still checks what it read, and says which file was
 * missing or unreadable rather than handing `undefined` on.
 */

export class StatsFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: "missing" | "unreadable" | "malformed",
    detail: string,
  ) {
    super(`stats file ${file} ${reason}: ${detail}`);
    this.name = "StatsFileError";
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value));
  renameSync(temporary, file);
}

/** Reads `file` and checks its shape with `valid`; throws StatsFileError saying what was wrong. */
export function readStatsFile<T>(file: string, valid: (value: unknown) => value is T): T {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new StatsFileError(file, "missing", "the process has not written it (yet)");
    throw new StatsFileError(file, "unreadable", String(code ?? err));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StatsFileError(file, "malformed", `not complete JSON (${text.length} bytes, half-written?)`);
  }
  if (!valid(value)) throw new StatsFileError(file, "malformed", "JSON of the wrong shape");
  return value;
}

/**
 * Reads `file`, retrying for up to `patienceMs` while it is missing or malformed: a
 * writer that just started, or a file from a writer without atomic replacement, is
 * given a few write periods before the error stands.
 */
export async function readStatsFilePatiently<T>(file: string, valid: (value: unknown) => value is T, patienceMs = 3000): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      return readStatsFile(file, valid);
    } catch (err) {
      if (!(err instanceof StatsFileError) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
