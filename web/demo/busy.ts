/**
 * A join the server answers 503 with `Retry-After` (a process shutting down, a full room or
 * one whose process is not answering, a server busy under load) is worth trying again after that
 * wait: a person should not be shown a failure for a moment's load. Anything else, and a
 * 503 still there after a few tries, goes to the caller as it came.
 */
export async function joinWhenFree<T>(join: () => Promise<T>, stopped: () => boolean, tries = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await join();
    } catch (err) {
      const wait = busyFor(err);
      if (wait === undefined || attempt >= tries || stopped()) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** How long a 503 asks to wait, in ms (1 s when it names no wait, at most 10 s); undefined for any other error. */
function busyFor(err: unknown): number | undefined {
  const { code, headers } = (err ?? {}) as { code?: unknown; headers?: { get(name: string): string | null } };
  if (code !== 503) return undefined;
  const seconds = Number(headers?.get("retry-after"));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 1000;
}
