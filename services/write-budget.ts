import { WriteLimited, type WriteKind, type WriteLimits } from "../infra/write-limits";
import { rateLimited } from "./errors";

/**
 * Spends one unit of a user's write budget, or refuses the write with 429
 * `rate_limited` (an `error rate_limited` in rooms) and when to try again.
 */
export async function spendWrite(limits: WriteLimits, kind: WriteKind, userId: string): Promise<void> {
  try {
    await limits.consume(kind, userId);
  } catch (err) {
    if (err instanceof WriteLimited) throw rateLimited(err.retryAfterSeconds);
    throw err;
  }
}
