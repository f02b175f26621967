import { Redis, ReplyError } from "ioredis";
import type { Logger } from "./logger";

/** Eviction policies under which Redis never drops a key on its own: only `noeviction`. */
const SAFE_POLICIES = new Set(["noeviction"]);

export class UnsafeRedisError extends Error {
  constructor(policy: string) {
    super(
      `REDIS_URL: the server's maxmemory-policy is ${policy}, under which Redis may evict keys Tavern cannot lose ` +
        "(revoked tokens would work again, room listings and locks would vanish). Set maxmemory-policy noeviction.",
    );
    this.name = "UnsafeRedisError";
  }
}

/**
 * Refuses a Redis that may evict keys. A managed Redis that hides CONFIG is accepted
 * with a warning: a flush is still caught (revocations fall back to the database).
 */
export async function assertRedisKeepsKeys(redis: Redis, logger: Logger): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config("GET", "maxmemory-policy")) as string[];
    policy = reply[1];
  } catch (err) {
    logger.warn({ err }, "could not read Redis's maxmemory-policy; make sure it is noeviction");
    return;
  }
  if (policy !== undefined && !SAFE_POLICIES.has(policy)) throw new UnsafeRedisError(policy);
}

export interface RedisConnectionOptions {
  /** A command that gets no answer in this many milliseconds fails (a Redis that hangs). */
  commandTimeoutMs: number;
}

/** Longest pause between two reconnection attempts: Redis back means Tavern back within about this. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Every Redis connection of the process, created or adopted here so that each has an
 * `error` listener (an EventEmitter without one crashes or prints "Unhandled error event"),
 * an outage is logged once at error level with its cause and its end once at info, and
 * shutdown closes them all.
 *
 * Command connections fail fast while Redis is away: until their first `ready` they
 * queue commands as ioredis does by default (start-up may race the connection); from then
 * on they reject at once when not connected, and reject a command left unanswered after
 * `commandTimeoutMs`. Callers map those failures to 503 (`isRedisOutage`).
 */
export class RedisConnections {
  private readonly clients = new Map<Redis, string>();
  private readonly readyListeners: ((name: string) => void)[] = [];
  private outageSince: number | undefined;
  private closing = false;

  constructor(
    private readonly url: string,
    private readonly options: RedisConnectionOptions,
    private readonly logger: Logger,
  ) {}

  /** A new command connection named `name` (the name appears in the log). */
  create(name: string): Redis {
    // ioredis reads its options when it needs them, so adopt() sets them on the live client.
    // Auto-pipelining sends the commands issued in one tick in one write: a request's
    // concurrent look-ups (the revocation keys, a cache's generation and value), and those
    // of every request in flight, share a syscall on each side instead of one each.
    const client = new Redis(this.url, { enableAutoPipelining: true });
    this.adopt(name, client, { failFast: true });
    return client;
  }

  /**
   * Takes charge of a connection created elsewhere (RedisPresence's pair), or again of
   * one whose user added its own error listener. A subscriber
   * connection is not fail-fast: SUBSCRIBE and UNSUBSCRIBE issued while Redis is away
   * wait for it, rather than leaving the process listening to the wrong channels.
   */
  adopt(name: string, client: Redis, { failFast }: { failFast: boolean }): void {
    // Whatever logged its errors before (RedisPresence warns on every reconnection attempt) gives way.
    client.removeAllListeners("error");
    client.on("error", (err: Error) => this.down(name, err));
    if (this.clients.has(client)) return;
    this.clients.set(client, name);
    client.on("close", () => this.down(name));
    client.on("ready", () => {
      // From the first connection on; before it, start-up waits for Redis as ioredis does by default.
      if (failFast) Object.assign(client.options, { enableOfflineQueue: false, commandTimeout: this.options.commandTimeoutMs, maxRetriesPerRequest: 1 });
      this.up(name);
    });
    if (!failFast) Object.assign(client.options, { commandTimeout: undefined, maxRetriesPerRequest: null });
    client.options.retryStrategy = (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS);
  }

  /** Whether every connection is connected and ready. */
  get ready(): boolean {
    return [...this.clients.keys()].every((c) => c.status === "ready");
  }

  /** Calls `listener` each time a connection becomes ready again (after a reconnection, or at start). */
  onReady(listener: (name: string) => void): void {
    this.readyListeners.push(listener);
  }

  /** From now on connections closing is the shutdown, not an outage. */
  shuttingDown(): void {
    this.closing = true;
  }

  /** Closes every connection still open (at shutdown); no reconnection follows. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.clients.keys()].map((c) => c.quit().catch(() => c.disconnect())));
  }

  private down(name: string, err?: Error) {
    if (this.outageSince !== undefined || this.closing) return;
    this.outageSince = Date.now();
    // The cause without a stack: it is the same few lines for every outage.
    this.logger.error({ connection: name, cause: err?.message ?? "connection closed" }, "Redis unavailable: requests that need it answer 503 until it is back");
  }

  private up(name: string) {
    if (this.closing) return;
    if (this.outageSince !== undefined && this.ready) {
      this.logger.info({ down_ms: Date.now() - this.outageSince }, "Redis available again");
      this.outageSince = undefined;
    }
    for (const listener of this.readyListeners) listener(name);
  }
}

/**
 * Whether `err` means Redis could not be reached or did not answer in time (as opposed
 * to Redis refusing a command, a bug): not connected, connection lost, timed out.
 */
export function isRedisOutage(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof ReplyError) return false;
  return (
    err.name === "MaxRetriesPerRequestError" ||
    /^(Stream isn't writeable|Connection is closed|Command timed out|connect ECONNREFUSED|read ECONNRESET)/.test(err.message) ||
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"].includes((err as NodeJS.ErrnoException).code ?? "")
  );
}
