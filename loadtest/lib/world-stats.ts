import { writeJsonAtomic } from "./stats-file";

/** Latency histogram resolution: 1 ms buckets, the last one catching everything slower. */
export const LATENCY_BUCKETS = 5000;

/**
 * What a bot process reports, cumulative since it started, so a reader can take two
 * snapshots and difference them over any window it chooses.
 */
export interface FleetSnapshot {
  at: number;
  /** The bot process, so the benchmark can stop exactly it. */
  pid: number;
  joined: number;
  failed: number;
  left: number;
  bytes: number;
  patches: number;
  /** Moves sent: against bots × seconds × the configured rate, it shows whether the bots kept up. */
  moves: number;
  /** latency[i] = seq→patch samples that took i ms (the last bucket: that or more). */
  latency: number[];
  /**
   * lag[i] = samples of the bot process's own event-loop delay of i ms: how long a patch
   * that arrived waits before the bot reads it (only processes that measure latency sample it).
   */
  lag: number[];
}

const COUNTS = ["at", "pid", "joined", "failed", "left", "bytes", "patches", "moves"] as const;

export function isFleetSnapshot(value: unknown): value is FleetSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const histogram = (h: unknown) => Array.isArray(h) && h.length === LATENCY_BUCKETS + 1;
  return COUNTS.every((k) => typeof v[k] === "number") && histogram(v.latency) && histogram(v.lag);
}

const bucketOf = (ms: number) => Math.min(LATENCY_BUCKETS, Math.max(0, Math.round(ms)));

export class FleetStats {
  joined = 0;
  failed = 0;
  left = 0;
  bytes = 0;
  patches = 0;
  moves = 0;
  readonly latency = new Array<number>(LATENCY_BUCKETS + 1).fill(0);
  readonly lag = new Array<number>(LATENCY_BUCKETS + 1).fill(0);

  recordLatency(ms: number) {
    this.latency[bucketOf(ms)]++;
  }

  /**
   * Samples this process's event-loop delay every `everyMs` into `lag`. A timer, not
   * perf_hooks' monitorEventLoopDelay: that histogram answers percentiles since its last
   * reset, which the benchmark could not difference over its own window as it does the rest.
   */
  sampleLag(everyMs = 10) {
    let due = performance.now() + everyMs;
    setInterval(() => {
      const now = performance.now();
      this.lag[bucketOf(now - due)]++;
      due = now + everyMs;
    }, everyMs).unref();
  }

  snapshot(): FleetSnapshot {
    const { joined, failed, left, bytes, patches, moves } = this;
    return { at: Date.now(), pid: process.pid, joined, failed, left, bytes, patches, moves, latency: [...this.latency], lag: [...this.lag] };
  }

  /** Replaces `file` every second (atomically: readers never see half a file); the timer does not keep the process alive. */
  writeEverySecond(file: string) {
    setInterval(() => writeJsonAtomic(file, this.snapshot()), 1000).unref();
  }
}

/** The snapshots of several bot processes as one fleet (`at` and `pid` of the first). */
export function mergeSnapshots(snapshots: FleetSnapshot[]): FleetSnapshot {
  const sum = (k: "joined" | "failed" | "left" | "bytes" | "patches" | "moves") => snapshots.reduce((s, x) => s + x[k], 0);
  const merged = (k: "latency" | "lag") => Array.from({ length: LATENCY_BUCKETS + 1 }, (_, i) => snapshots.reduce((s, x) => s + (x[k][i] ?? 0), 0));
  return {
    at: snapshots[0]?.at ?? Date.now(),
    pid: snapshots[0]?.pid ?? 0,
    joined: sum("joined"),
    failed: sum("failed"),
    left: sum("left"),
    bytes: sum("bytes"),
    patches: sum("patches"),
    moves: sum("moves"),
    latency: merged("latency"),
    lag: merged("lag"),
  };
}

/** A histogram (seq→patch latency, or the bots' own lag) between two snapshots, as a percentile (ms) over the window. */
export function latencyPercentile(before: FleetSnapshot, after: FleetSnapshot, p: number, of: "latency" | "lag" = "latency"): number | null {
  const counts = after[of].map((n, i) => n - (before[of][i] ?? 0));
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return i;
  }
  return counts.length - 1;
}

export const latencySamples = (before: FleetSnapshot, after: FleetSnapshot) =>
  after.latency.reduce((sum, n, i) => sum + n - (before.latency[i] ?? 0), 0);
