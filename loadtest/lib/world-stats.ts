import { writeFileSync } from "node:fs";

/** Latency histogram resolution: 1 ms buckets, the last one catching everything slower. */
export const LATENCY_BUCKETS = 5000;

/**
 * What a bot process reports, cumulative since it started, so a reader can take two
 * snapshots and difference them over any window it chooses.
 */
export interface FleetSnapshot {
  at: number;
  joined: number;
  failed: number;
  left: number;
  bytes: number;
  patches: number;
  /** latency[i] = seq→patch samples that took i ms (the last bucket: that or more). */
  latency: number[];
}

export class FleetStats {
  joined = 0;
  failed = 0;
  left = 0;
  bytes = 0;
  patches = 0;
  readonly latency = new Array<number>(LATENCY_BUCKETS + 1).fill(0);

  recordLatency(ms: number) {
    this.latency[Math.min(LATENCY_BUCKETS, Math.max(0, Math.round(ms)))]++;
  }

  snapshot(): FleetSnapshot {
    const { joined, failed, left, bytes, patches } = this;
    return { at: Date.now(), joined, failed, left, bytes, patches, latency: [...this.latency] };
  }

  /** Rewrites `file` every second; the timer does not keep the process alive. */
  writeEverySecond(file: string) {
    setInterval(() => writeFileSync(file, JSON.stringify(this.snapshot())), 1000).unref();
  }
}

/** The histogram between two snapshots, as a percentile (ms) over the window. */
export function latencyPercentile(before: FleetSnapshot, after: FleetSnapshot, p: number): number | null {
  const counts = after.latency.map((n, i) => n - (before.latency[i] ?? 0));
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
