import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

/**
 * Processes of a benchmark: pinned to a core, sampled through /proc, and scraped for
 * Prometheus figures. Shared by every load script so all of them measure alike.
 */

export const ROOT = path.resolve(__dirname, "../..");
export const NODE = path.join(ROOT, "node_modules/.bin/node");
/** Linux reports CPU time in clock ticks of 1/100 s (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface Pinned {
  pid: number;
  child: ChildProcess;
  /** The last lines it wrote, for error reports. */
  output: () => string;
  exited: Promise<number | null>;
  /** Sends `signal`, and SIGKILL if the process is still there after `graceMs`. */
  stop: (signal?: NodeJS.Signals, graceMs?: number) => Promise<number | null>;
}

/**
 * Runs a TypeScript entry point with `taskset -c <core>` under node with the tsx
 * loader in-process (not the tsx CLI, which forks), so the pid is the one doing the work.
 */
export function startPinned(entry: string, args: string[], env: Record<string, string>, core: number): Pinned {
  const child = spawn("taskset", ["-c", String(core), NODE, "--import", "tsx", entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d).slice(-8000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    pid: child.pid!,
    child,
    output: () => output,
    exited,
    stop: async (signal = "SIGTERM", graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timeout = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timeout);
      return code;
    },
  };
}

/** Polls `ready` until it resolves true, failing early if the process dies. */
export async function waitUntil(proc: Pinned, ready: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`process exited with ${proc.child.exitCode}:\n${proc.output()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`process not ready after ${timeoutMs} ms:\n${proc.output()}`);
    await sleep(200);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CPU time the process has used so far, in ms: in its own code (user) and in the kernel on its behalf (system calls). */
export function cpuTimesMs(pid: number): { user: number; kernel: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name, which may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: (Number(fields[11]) * 1000) / CLOCK_TICKS_PER_SECOND, kernel: (Number(fields[12]) * 1000) / CLOCK_TICKS_PER_SECOND };
}

/** User + system CPU time the process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const { user, kernel } = cpuTimesMs(pid);
  return user + kernel;
}

/** Resident set size in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** One-minute load average: how busy the machine was around a measurement. */
export function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** Prometheus text exposition as name{labels} → value; enough for counters and histograms. */
export type Scrape = Map<string, number>;

export async function scrapeMetrics(url: string, token: string): Promise<Scrape> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`metrics: ${res.status}`);
  const out: Scrape = new Map();
  for (const line of (await res.text()).split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Sum of every series of `name` (all label sets). */
export function metricSum(scrape: Scrape, name: string): number {
  let sum = 0;
  for (const [key, value] of scrape) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

/** Cumulative histogram buckets of `name` as [upper bound in the metric's unit, count]; `label` (`kind="origchat"`) picks one series. */
export function histogramBuckets(scrape: Scrape, name: string, label?: string): [number, number][] {
  const buckets: [number, number][] = [];
  for (const [key, value] of scrape) {
    if (label && !key.includes(label)) continue;
    const le = new RegExp(`^${name}_bucket\\{.*le="([^"]+)"`).exec(key)?.[1];
    if (le !== undefined) buckets.push([le === "+Inf" ? Infinity : Number(le), value]);
  }
  return buckets.sort((a, b) => a[0] - b[0]);
}

/**
 * Percentile of the observations between two scrapes of one histogram, linearly
 * interpolated inside its bucket, as Prometheus's histogram_quantile does.
 */
export function histogramPercentile(before: [number, number][], after: [number, number][], p: number): number | null {
  const counts = after.map(([le, n]) => [le, n - (before.find(([b]) => b === le)?.[1] ?? 0)] as const);
  const total = counts.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = (p / 100) * total;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of counts) {
    if (cumulative >= rank) {
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, cumulative - below);
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}
