import type { Presence } from "@colyseus/core";
import type { Logger } from "../../infra/logger";
import { TRAFFIC_MAX_MINUTES, type TrafficSummary } from "./schemas";

const MINUTE_MS = 60_000;
/** A minute's hash outlives the longest window that can ask for it. */
const RETENTION_SECONDS = (TRAFFIC_MAX_MINUTES + 5) * 60;

/**
 * Requests per minute by method, route template and status, summed across processes
 * in presence: one hash per minute (`HINCRBY` + `EXPIRE` in one `hincrbyex`), fields
 * `GET /api/v1/characters/:id 200`. Each process counts in memory and adds its counts
 * to presence once a second, so a request costs no presence round trip; a summary
 * flushes this process's counts first, and another process's last second may still
 * be on its way. Counts that fail to reach presence are kept for the next flush.
 */
export class TrafficCounter {
  private pending = new Map<number, Map<string, number>>();
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly presence: Presence,
    private readonly logger: Logger,
    private readonly flushIntervalMs = 1000,
  ) {}

  /** Counts one finished request. Cheap and synchronous: called for every response. */
  record(method: string, route: string, status: number, at = Date.now()): void {
    this.add(Math.floor(at / MINUTE_MS), `${method} ${route} ${status}`, 1);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Adds what this process counted to presence; flushes run one at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async summary(minutes: number, now = Date.now()): Promise<TrafficSummary> {
    await this.flush();
    const last = Math.floor(now / MINUTE_MS);
    const window = Array.from({ length: minutes }, (_, i) => last - minutes + 1 + i);
    const hashes = await Promise.all(window.map((minute) => this.presence.hgetall(keyOf(minute))));

    const routes = new Map<string, Map<number, number>>();
    const statuses = new Map<number, number>();
    const byMinute = window.map((minute, i) => {
      let requests = 0;
      for (const [field, value] of Object.entries(hashes[i] ?? {})) {
        const parsed = parseField(field);
        const count = Number(value);
        if (!parsed || !Number.isSafeInteger(count)) continue;
        requests += count;
        const route = routes.get(parsed.route) ?? new Map<number, number>();
        routes.set(parsed.route, route);
        route.set(parsed.status, (route.get(parsed.status) ?? 0) + count);
        statuses.set(parsed.status, (statuses.get(parsed.status) ?? 0) + count);
      }
      return { minute: new Date(minute * MINUTE_MS).toISOString(), requests };
    });

    const byStatus = (counts: Map<number, number>) =>
      [...counts].sort(([a], [b]) => a - b).map(([status, requests]) => ({ status, requests }));
    const byRoute = [...routes]
      .map(([route, counts]) => ({ route, requests: sum(counts.values()), by_status: byStatus(counts) }))
      .sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
    return {
      window_minutes: minutes,
      total_requests: sum(byMinute.map((m) => m.requests)),
      by_minute: byMinute,
      by_route: byRoute,
      by_status: byStatus(statuses),
    };
  }

  private add(minute: number, field: string, count: number) {
    let fields = this.pending.get(minute);
    if (!fields) this.pending.set(minute, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + count);
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const oldest = Math.floor(Date.now() / MINUTE_MS) - TRAFFIC_MAX_MINUTES;
    let failed: unknown;
    await Promise.all(
      [...batch].flatMap(([minute, fields]) =>
        [...fields].map(([field, count]) =>
          Promise.resolve()
            .then(() => this.presence.hincrbyex(keyOf(minute), field, count, RETENTION_SECONDS))
            .catch((err: unknown) => {
              failed = err;
              if (minute >= oldest) this.add(minute, field, count);
            }),
        ),
      ),
    );
    // One line when presence starts failing and one when it recovers, not one per flush.
    if (failed && !this.failing) this.logger.warn({ err: failed }, "traffic counts: presence write failed; keeping them for the next flush");
    if (!failed && this.failing) this.logger.info("traffic counts: presence writes recovered");
    this.failing = failed !== undefined;
  }
}

const keyOf = (minute: number) => `metrics:traffic:${minute}`;

const sum = (values: Iterable<number>) => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

/** `GET /api/v1/characters/:id 200` → its parts; route templates hold no spaces. */
function parseField(field: string): { route: string; status: number } | undefined {
  const match = /^(\S+) (\S+) (\d{3})$/.exec(field);
  return match ? { route: `${match[1]} ${match[2]}`, status: Number(match[3]) } : undefined;
}
