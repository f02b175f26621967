import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  cpuMs,
  freePort,
  histogramBuckets,
  histogramPercentile,
  loadAverage,
  metricSum,
  ROOT,
  rssMb,
  scrapeMetrics,
  sleep,
  startPinned,
  waitUntil,
  type Pinned,
} from "./lib/proc";
import { BENCH_LIMITS } from "./lib/server";
import { toMarkdown, type BenchRow } from "./lib/table";
import { setUpBots } from "./lib/world-setup";
import { latencyPercentile, latencySamples, type FleetSnapshot } from "./lib/world-stats";

/**
 * The world-zone benchmark (docs/performance.md): for each client count, with AOI
 * off and on, the product and its bare reference (loadtest/reference/bare-world.ts)
 * are each driven by the same bots for the same window, the server pinned to core 0
 * and the bots to core 1.
 *
 *   npx tsx loadtest/world-bench.ts --clients 100,500,1000 --seconds 30 [--aoi off,on] [--spread 20]
 */

export interface WorldBenchOptions {
  clients: number[];
  aoi: boolean[];
  /** Length of the measured window, after every bot joined and the fleet spread out. */
  seconds: number;
  /** Seconds the bots walk before the window opens, so they leave their common start (0, 0). */
  spreadSeconds?: number;
  radius?: number;
  /** Extra environment of the product server, e.g. DATABASE_URL and REDIS_URL of a real backend. */
  env?: Record<string, string>;
  serverCore?: number;
  botCore?: number;
  log?: (line: string) => void;
}

/** The figures of one run, product or reference. */
interface RunFigures {
  connected: number;
  failed: number;
  ticksPerSecond: number;
  patchesPerClientSecond: number;
  tickP50: number | null;
  tickP99: number | null;
  cpuMsPerClientSecond: number;
  rssMb: number;
  kbPerClientSecond: number;
  latencyP50: number | null;
  latencyP99: number | null;
  latencySamples: number;
}

interface Target {
  server: Pinned;
  endpoint: string;
  roomName: string;
  botArgs: string[];
  /** Server-side ticks so far and the tick-duration histogram in seconds (cumulative buckets). */
  ticks: () => Promise<{ total: number; buckets: [number, number][] }>;
}

const readJson = <T>(file: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
};

async function startProduct(clients: number, radius: number, o: Required<WorldBenchOptions>, dir: string): Promise<Target> {
  const port = await freePort();
  const metricsToken = randomBytes(16).toString("hex");
  const server = startPinned(
    "index.ts",
    [],
    {
      PORT: String(port),
      NODE_ENV: "production",
      DATABASE_URL: "pglite://memory",
      LOG_LEVEL: "warn",
      JWT_SECRET: randomBytes(32).toString("hex"),
      JWT_TTL: "2h",
      PAYMENT_WEBHOOK_SECRET: randomBytes(32).toString("hex"),
      METRICS_TOKEN: metricsToken,
      ARGON2_MEMORY_KIB: "1024",
      ARGON2_ITERATIONS: "1",
      ...BENCH_LIMITS,
      WORLD_AOI_RADIUS: String(radius),
      WORLD_MAX_CLIENTS: String(clients + 10),
      ...o.env,
    },
    o.serverCore,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(server, async () => (await fetch(`${url}/readyz`)).status === 200);
  const started = Date.now();
  const credentials = await setUpBots(url, clients);
  o.log(`  REST setup of ${clients} bots: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const file = path.join(dir, "credentials.json");
  writeFileSync(file, JSON.stringify(credentials));
  return {
    server,
    endpoint: `ws://127.0.0.1:${port}`,
    roomName: "world_zone",
    botArgs: ["--credentials", file],
    ticks: async () => {
      const scrape = await scrapeMetrics(`${url}/metrics`, metricsToken);
      const buckets = histogramBuckets(scrape, "tavern_world_tick_seconds");
      return { total: metricSum(scrape, "tavern_world_ticks_total"), buckets };
    },
  };
}

async function startReference(radius: number, core: number, dir: string): Promise<Target> {
  const port = await freePort();
  const stats = path.join(dir, "reference.json");
  const server = startPinned("loadtest/reference/bare-world.ts", ["--port", String(port), "--radius", String(radius), "--stats", stats], {}, core);
  await waitUntil(server, async () => server.output().includes("listening") && readJson(stats) !== undefined);
  return {
    server,
    endpoint: `ws://127.0.0.1:${port}`,
    roomName: "bare_world",
    botArgs: ["--bare"],
    ticks: async () => {
      const s = readJson<{ total: number; tenthsOfMs: number[] }>(stats)!;
      let cumulative = 0;
      const buckets = s.tenthsOfMs.map((n, i) => [(i + 0.5) / 10000, (cumulative += n)] as [number, number]);
      return { total: s.total, buckets };
    },
  };
}

/** Runs the bots for `target` and measures one window. */
async function measure(target: Target, clients: number, o: Required<WorldBenchOptions>, dir: string): Promise<RunFigures> {
  const stats = path.join(dir, `bots-${target.roomName}.json`);
  rmSync(stats, { force: true });
  const bot = [
    "taskset", "-c", String(o.botCore), path.join(ROOT, "node_modules/.bin/node"), "--import", "tsx", "loadtest/world.ts",
    "--endpoint", target.endpoint, "--room", target.roomName, "--numClients", String(clients),
    "--stats", stats, "--output", path.join(dir, `bots-${target.roomName}.log`), ...target.botArgs,
  ].join(" ");
  // @colyseus/loadtest draws a terminal UI and needs a TTY; its own process group so it can be stopped whole.
  const bots = spawn("script", ["-qec", bot, "/dev/null"], { cwd: ROOT, stdio: ["pipe", "ignore", "ignore"], detached: true });
  try {
    const fleet = () => readJson<FleetSnapshot>(stats);
    const joinDeadline = Date.now() + 60_000 + clients * 100;
    for (;;) {
      const s = fleet();
      if (s && s.joined + s.failed >= clients) break;
      if (Date.now() > joinDeadline || bots.exitCode !== null) break;
      await sleep(500);
    }
    await sleep(o.spreadSeconds * 1000);
    const [f0, t0, c0, at0] = [fleet()!, await target.ticks(), cpuMs(target.server.pid), performance.now()];
    await sleep(o.seconds * 1000);
    const [f1, t1, c1, at1] = [fleet()!, await target.ticks(), cpuMs(target.server.pid), performance.now()];
    const rss = rssMb(target.server.pid);
    const seconds = (at1 - at0) / 1000;
    const connected = f1.joined - f1.left;
    const clientSeconds = Math.max(1, connected) * seconds;
    const ms = (v: number | null) => (v === null ? null : v * 1000);
    return {
      connected,
      failed: f1.failed,
      ticksPerSecond: (t1.total - t0.total) / seconds,
      patchesPerClientSecond: (f1.patches - f0.patches) / clientSeconds,
      tickP50: ms(histogramPercentile(t0.buckets, t1.buckets, 50)),
      tickP99: ms(histogramPercentile(t0.buckets, t1.buckets, 99)),
      cpuMsPerClientSecond: (c1 - c0) / clientSeconds,
      rssMb: rss,
      kbPerClientSecond: (f1.bytes - f0.bytes) / 1024 / clientSeconds,
      latencyP50: latencyPercentile(f0, f1, 50),
      latencyP99: latencyPercentile(f0, f1, 99),
      latencySamples: latencySamples(f0, f1),
    };
  } finally {
    try {
      process.kill(-bots.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

const FIGURES: { figure: string; unit: string; pick: (f: RunFigures) => number | null; note: string }[] = [
  { figure: "bots connected", unit: "clients", pick: (f) => f.connected, note: "joins are sequential; REST setup done up front" },
  { figure: "failed joins", unit: "clients", pick: (f) => f.failed, note: "" },
  { figure: "ticks/s held", unit: "ticks/s", pick: (f) => f.ticksPerSecond, note: "server-side; 20 is the configured rate" },
  { figure: "patches/s seen per client", unit: "patches/s", pick: (f) => f.patchesPerClientSecond, note: "client-side" },
  { figure: "tick duration p50", unit: "ms", pick: (f) => f.tickP50, note: "simulation + patch encode/send" },
  { figure: "tick duration p99", unit: "ms", pick: (f) => f.tickP99, note: "" },
  { figure: "server CPU per client-second", unit: "ms", pick: (f) => f.cpuMsPerClientSecond, note: "utime+stime" },
  { figure: "server RSS", unit: "MB", pick: (f) => f.rssMb, note: "at the end of the window" },
  { figure: "received per client", unit: "KB/s", pick: (f) => f.kbPerClientSecond, note: "WebSocket payload bytes" },
  { figure: "seq→patch latency p50", unit: "ms", pick: (f) => f.latencyP50, note: "" },
  { figure: "seq→patch latency p99", unit: "ms", pick: (f) => f.latencyP99, note: "" },
];

export async function runWorldBenchmark(options: WorldBenchOptions): Promise<BenchRow[]> {
  const o: Required<WorldBenchOptions> = {
    spreadSeconds: 20,
    radius: 100,
    env: {},
    serverCore: 0,
    botCore: 1,
    log: (line) => process.stderr.write(`${line}\n`),
    ...options,
  };
  const rows: BenchRow[] = [];
  for (const aoi of o.aoi) {
    for (const clients of o.clients) {
      const scenario = `world ${clients} bots, AOI ${aoi ? `on (r=${o.radius})` : "off"}`;
      const radius = aoi ? o.radius : 0;
      const dir = mkdtempSync(path.join(tmpdir(), "world-bench-"));
      const run = async (start: () => Promise<Target>, what: string) => {
        o.log(`${scenario}: ${what} (load ${loadAverage()})`);
        const target = await start();
        try {
          const figures = await measure(target, clients, o, dir);
          o.log(`  ${JSON.stringify(figures)}`);
          return figures;
        } finally {
          await target.server.stop("SIGTERM");
        }
      };
      try {
        const product = await run(() => startProduct(clients, radius, o, dir), "product");
        const reference = await run(() => startReference(radius, o.serverCore, dir), "bare reference");
        for (const f of FIGURES) {
          rows.push({ scenario, figure: f.figure, value: f.pick(product), reference: f.pick(reference), unit: f.unit, note: f.note || undefined });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return rows;
}

if (require.main === module) {
  const { values } = parseArgs({
    strict: false,
    options: {
      clients: { type: "string", default: "100,500,1000" },
      aoi: { type: "string", default: "off,on" },
      seconds: { type: "string", default: "30" },
      spread: { type: "string", default: "20" },
    },
  });
  runWorldBenchmark({
    clients: String(values.clients).split(",").map(Number),
    aoi: String(values.aoi).split(",").map((v) => v === "on"),
    seconds: Number(values.seconds),
    spreadSeconds: Number(values.spread),
  })
    .then((rows) => process.stdout.write(`${toMarkdown(rows)}\n`))
    .catch((err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
