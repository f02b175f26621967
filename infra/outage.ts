import type { Logger } from "./logger";

/**
 * Whether a dependency is reachable, as this process last saw it. Every request that
 * fails during an outage is answered 503 by the edges without a log line; this logs the
 * outage once (error) when it starts and once (info) when a probe finds the dependency
 * back, so an outage of any length is two lines, not one stack per request.
 */
export class OutageMonitor {
  private since?: number;
  private probe?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly dependency: string,
    private readonly logger: Logger,
    /** Resolves when the dependency answers; the probe that ends an outage. */
    private readonly check: () => Promise<unknown>,
    private readonly probeIntervalMs = 1000,
  ) {}

  get down(): boolean {
    return this.since !== undefined;
  }

  /** A connection-level failure: starts an outage unless one is already on. */
  failed(err: unknown): void {
    if (this.since !== undefined || this.stopped) return;
    this.since = Date.now();
    const { code, message } = (err ?? {}) as { code?: string; message?: string };
    this.logger.error({ dependency: this.dependency, error: { code, message } }, `${this.dependency} unreachable`);
    this.scheduleProbe();
  }

  /** The dependency answered (a probe, or any new connection): ends the outage. */
  reachable(): void {
    if (this.since === undefined) return;
    const downMs = Date.now() - this.since;
    this.since = undefined;
    clearTimeout(this.probe);
    this.probe = undefined;
    this.logger.info({ dependency: this.dependency, down_ms: downMs }, `${this.dependency} reachable again`);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.probe);
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.probe = setTimeout(() => {
      this.check().then(
        () => this.reachable(),
        () => this.down && this.scheduleProbe(),
      );
    }, this.probeIntervalMs);
    this.probe.unref();
  }
}
