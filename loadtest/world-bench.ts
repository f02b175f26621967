import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freshDatabase, REAL_BACKEND } from "./lib/backend";
import {
  cpuTimesMs,
  freePort,
  histogramBuckets,
  histogramPercentile,
  loadAverage,
  metricSum,
  rssMb,
  scrapeMetrics,
  sleep,
  startPinned,
  waitUntil,
  type Pinned,
} from "./lib/proc";
import { BENCH_LIMITS } from "./lib/server";
import { readStatsFile, readStatsFilePatiently } from "./lib/stats-file";
import { toMarkdown, type BenchRow } from "./lib/table";
import { Fleet, MOVES_PER_SECOND } from "./lib/world-fleet";
import { setUpBots, type BotCredentials } from "./lib/world-setup";
import { latencyPercentile, latencySamples } from "./lib/world-stats";

/**
 * The world-zone benchmark (docs/performance.md): for each client count, with AOI
 * off and on, the product and its bare reference (loadtest/reference/bare-world.ts)
 * are each driven by the same bots for the same window, the server pinned to core 0
 * and the bots to core 1 (spread over --bot-processes processes on that core). Only
 * --watchers bots decode the state and measure latency; the rest are light (they
 * receive every patch and decode none, loadtest/world.ts), so that one core of bots
 * can keep up with thousands of clients. A run that fails says why in the table; the
 * others still run.
 *
 *   npx tsx loadtest/world-bench.ts --clients 100,500,1000 --seconds 30 [--aoi off,on] [--spread 20]
 *     [--bot-processes 4] [--watchers 100] [--backend embedded|real] [--cpu-prof DIR] [--floor]
 *
 * --floor adds a third run to each scenario: the bare room with no players at all, which
 * reads and drops every move and broadcasts the tick number alone (bare-world.ts
 * --floor). Its tick is the least a zone of that many clients costs on this machine, so
 * the product's tick stands beside what no zone could go under.
 *
 * --backend real runs the product on Postgres + Redis (BENCH_DATABASE_URL,
 * BENCH_REDIS_URL), a database created for each product run and dropped after it.
 * --cpu-prof writes a V8 CPU profile of every product server into DIR.
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
  /** `real`: a fresh Postgres database per product run, and Redis (overrides DATABASE_URL/REDIS_URL in env). */
  backend?: "embedded" | "real";
  serverCore?: number;
  botCore?: number;
  botProcesses?: number;
  /** Bots that decode the state and measure latency; the others are light. */
  watchers?: number;
  /** Directory for a V8 CPU profile of each product server; none when empty. */
  cpuProfDir?: string;
  /** Also run the floor (bare-world.ts --floor) for each scenario. */
  floor?: boolean;
  log?: (line: string) => void;
}

/** The figures of one run, product or reference. */
export interface RunFigures {
  connected: number;
  /** Bots that had not joined (or failed) when the window opened: their joins loaded the window. */
  notInAtStart: number;
  failed: number;
  ticksPerSecond: number;
  patchesPerClientSecond: number;
  movesPerBotSecond: number;
  tickP50: number | null;
  tickP99: number | null;
  cpuMsPerClientSecond: number;
  /** The share of that CPU time spent in the kernel: the sockets' system calls, mostly. */
  kernelShare: number;
  rssMb: number;
  emptyRssMb: number;
  kbPerClientSecond: number;
  latencyP50: number | null;
  latencyP99: number | null;
  latencySamples: number;
  /** Event-loop delay p99 of the bots that measured latency: what of the latency is their own. */
  botLagP99: number | null;
  /** Bots that decoded the state: the latency figures are theirs. */
  watchers: number;
}

interface Target {
  server: Pinned;
  endpoint: string;
  roomName: string;
  credentials?: (BotCredentials | null)[];
  /** RSS once the server is up, before any bot registers or joins. */
  emptyRssMb: number;
  /** Server-side ticks so far and the tick-duration histogram in seconds (cumulative buckets). */
  ticks: () => Promise<{ total: number; buckets: [number, number][] }>;
  /** Releases what the target holds beyond its server (a database). */
  close?: () => Promise<void>;
}

type Options = Required<WorldBenchOptions>;

async function startProduct(clients: number, radius: number, o: Options): Promise<Target> {
  const port = await freePort();
  const metricsToken = randomBytes(16).toString("hex");
  const database = o.backend === "real" ? await freshDatabase() : undefined;
  const backend: Record<string, string> = database ? { DATABASE_URL: database.url, REDIS_URL: REAL_BACKEND.redis } : {};
  const profile: Record<string, string> = o.cpuProfDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${o.cpuProfDir}` } : {};
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
      ...backend,
      ...profile,
    },
    o.serverCore,
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(server, async () => (await fetch(`${url}/readyz`)).status === 200);
    const emptyRssMb = rssMb(server.pid);
    const started = Date.now();
    const credentials = await setUpBots(url, clients);
    o.log(`  REST setup of ${clients} bots: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      server,
      endpoint: `ws://127.0.0.1:${port}`,
      roomName: "world_zone",
      credentials,
      emptyRssMb,
      ticks: async () => {
        const scrape = await scrapeMetrics(`${url}/metrics`, metricsToken);
        const buckets = histogramBuckets(scrape, "tavern_world_tick_seconds");
        return { total: metricSum(scrape, "tavern_world_ticks_total"), buckets };
      },
      close: database?.drop,
    };
  } catch (err) {
    await server.stop("SIGTERM");
    await database?.drop();
    throw err;
  }
}

interface ReferenceTicks {
  total: number;
  tenthsOfMs: number[];
}

const isReferenceTicks = (v: unknown): v is ReferenceTicks =>
  typeof v === "object" && v !== null && typeof (v as ReferenceTicks).total === "number" && Array.isArray((v as ReferenceTicks).tenthsOfMs);

async function startReference(radius: number, o: Options, dir: string, floor = false): Promise<Target> {
  const port = await freePort();
  const stats = path.join(dir, "reference.json");
  const args = ["--port", String(port), "--radius", String(floor ? 0 : radius), "--stats", stats, ...(floor ? ["--floor"] : [])];
  const server = startPinned("loadtest/reference/bare-world.ts", args, {}, o.serverCore);
  try {
    await waitUntil(server, async () => server.output().includes("listening") && readStatsFile(stats, isReferenceTicks) !== undefined);
  } catch (err) {
    await server.stop("SIGTERM");
    throw err;
  }
  return {
    server,
    endpoint: `ws://127.0.0.1:${port}`,
    roomName: "bare_world",
    emptyRssMb: rssMb(server.pid),
    ticks: async () => {
      const s = await readStatsFilePatiently(stats, isReferenceTicks);
      let cumulative = 0;
      const buckets = s.tenthsOfMs.map((n, i) => [(i + 0.5) / 10000, (cumulative += n)] as [number, number]);
      return { total: s.total, buckets };
    },
  };
}

/** Runs the bots for `target` and measures one window. */
async function measure(target: Target, clients: number, o: Options, dir: string): Promise<RunFigures> {
  const fleet = new Fleet({
    endpoint: target.endpoint,
    roomName: target.roomName,
    clients,
    processes: o.botProcesses,
    watchers: o.watchers,
    core: o.botCore,
    dir,
    credentials: target.credentials,
  });
  fleet.start();
  try {
    const joinDeadline = Date.now() + 60_000 + clients * 100;
    for (;;) {
      const s = fleet.peek();
      if (s && s.joined + s.failed >= clients) break;
      if (Date.now() > joinDeadline || fleet.gone) break;
      await sleep(500);
    }
    await sleep(o.spreadSeconds * 1000);
    const [f0, t0, c0, at0] = [await fleet.read(), await target.ticks(), cpuTimesMs(target.server.pid), performance.now()];
    await sleep(o.seconds * 1000);
    const [f1, t1, c1, at1] = [await fleet.read(), await target.ticks(), cpuTimesMs(target.server.pid), performance.now()];
    const rss = rssMb(target.server.pid);
    const seconds = (at1 - at0) / 1000;
    const connected = f1.joined - f1.left;
    const clientSeconds = Math.max(1, connected) * seconds;
    const ms = (v: number | null) => (v === null ? null : v * 1000);
    const kernel = c1.kernel - c0.kernel;
    const cpu = c1.user - c0.user + kernel;
    return {
      connected,
      notInAtStart: clients - f0.joined - f0.failed,
      failed: f1.failed,
      ticksPerSecond: (t1.total - t0.total) / seconds,
      patchesPerClientSecond: (f1.patches - f0.patches) / clientSeconds,
      movesPerBotSecond: (f1.moves - f0.moves) / clientSeconds,
      tickP50: ms(histogramPercentile(t0.buckets, t1.buckets, 50)),
      tickP99: ms(histogramPercentile(t0.buckets, t1.buckets, 99)),
      cpuMsPerClientSecond: cpu / clientSeconds,
      kernelShare: cpu > 0 ? kernel / cpu : 0,
      rssMb: rss,
      emptyRssMb: target.emptyRssMb,
      kbPerClientSecond: (f1.bytes - f0.bytes) / 1024 / clientSeconds,
      latencyP50: latencyPercentile(f0, f1, 50),
      latencyP99: latencyPercentile(f0, f1, 99),
      latencySamples: latencySamples(f0, f1),
      botLagP99: latencyPercentile(f0, f1, 99, "lag"),
      watchers: Math.min(o.watchers, clients),
    };
  } finally {
    fleet.stop();
  }
}

/** Below this share of the configured move rate, the bots, not the server, limited the run. */
const KEPT_UP = 0.95;

const watchedBy = (f: RunFigures) => (f.watchers < f.connected ? `measured by the ${f.watchers} watching bots` : "");

/** Each figure of the table: `about` says how to read it, `flag` marks a run whose figure needs a caveat. */
const FIGURES: { figure: string; unit: string; pick: (f: RunFigures) => number | null; about?: string; flag?: (f: RunFigures) => string }[] = [
  {
    figure: "bots connected",
    unit: "clients",
    pick: (f) => f.connected,
    flag: (f) => (f.notInAtStart > 0 ? `${f.notInAtStart} still joining when the window opened` : ""),
  },
  { figure: "failed joins", unit: "clients", pick: (f) => f.failed },
  { figure: "ticks/s held", unit: "ticks/s", pick: (f) => f.ticksPerSecond },
  { figure: "patches/s seen per client", unit: "patches/s", pick: (f) => f.patchesPerClientSecond },
  {
    figure: "moves sent per bot-second",
    unit: "moves/s",
    pick: (f) => f.movesPerBotSecond,
    flag: (f) => (f.movesPerBotSecond < KEPT_UP * MOVES_PER_SECOND ? `bots fell behind (configured ${MOVES_PER_SECOND})` : ""),
  },
  { figure: "tick duration p50", unit: "ms", pick: (f) => f.tickP50 },
  { figure: "tick duration p99", unit: "ms", pick: (f) => f.tickP99 },
  { figure: "server CPU per client-second", unit: "ms", pick: (f) => f.cpuMsPerClientSecond },
  {
    figure: "server CPU in the kernel",
    unit: "%",
    pick: (f) => 100 * f.kernelShare,
    about: "system time (/proc stime): the sockets' system calls, and on loopback the receiving side's TCP work too",
  },
  { figure: "server RSS", unit: "MB", pick: (f) => f.rssMb },
  {
    figure: "server RSS per client",
    unit: "MB",
    pick: (f) => (f.connected > 0 ? (f.rssMb - f.emptyRssMb) / f.connected : null),
    about: "above the server just started; the product's includes the bots' accounts",
  },
  { figure: "received per client", unit: "KB/s", pick: (f) => f.kbPerClientSecond },
  { figure: "seq→patch latency p50", unit: "ms", pick: (f) => f.latencyP50, flag: watchedBy },
  { figure: "seq→patch latency p99", unit: "ms", pick: (f) => f.latencyP99, flag: watchedBy },
  {
    figure: "watching bots' own lag p99",
    unit: "ms",
    pick: (f) => f.botLagP99,
    about: "event-loop delay of their process: how long a patch that arrived waits to be read",
  },
  {
    figure: "seq→patch p99 less the bots' lag, in ticks",
    unit: "ticks",
    pick: (f) => (f.latencyP99 === null || f.botLagP99 === null ? null : ((f.latencyP99 - f.botLagP99) * f.ticksPerSecond) / 1000),
    about: "what the server added: a move waits for the next tick, then for its patch (target ≤ 2)",
  },
];

/** One run's outcome: its figures, or why it has none. */
export type RunOutcome = RunFigures | { error: string };

const failed = (o: RunOutcome): o is { error: string } => "error" in o;

const FLOOR_ABOUT = "the floor: a bare room with no players that reads and drops every move and broadcasts the tick alone";

/** Beside the floor: the product's tick and delivery against what no zone of as many clients goes under here. */
export function floorRows(scenario: string, product: RunOutcome, floor: RunOutcome): BenchRow[] {
  if (failed(floor)) return [{ scenario, figure: "floor run failed", value: null, reference: null, unit: "", note: floor.error }];
  const pick = (f: (r: RunFigures) => number | null) => (failed(product) ? null : f(product));
  return [
    { figure: "tick duration p50, against the floor", unit: "ms", f: (r: RunFigures) => r.tickP50 },
    { figure: "tick duration p99, against the floor", unit: "ms", f: (r: RunFigures) => r.tickP99 },
    { figure: "patches/s seen per client, against the floor", unit: "patches/s", f: (r: RunFigures) => r.patchesPerClientSecond },
    { figure: "server CPU per client-second, against the floor", unit: "ms", f: (r: RunFigures) => r.cpuMsPerClientSecond },
    { figure: "server CPU in the kernel, against the floor", unit: "%", f: (r: RunFigures) => 100 * r.kernelShare },
  ].map(({ figure, unit, f }) => ({ scenario, figure, value: pick(f), reference: f(floor), unit, note: FLOOR_ABOUT }));
}

/** The rows of one scenario; a failed run leaves its column n/a and says why in a row of its own. */
export function scenarioRows(scenario: string, product: RunOutcome, reference: RunOutcome): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const [who, o] of [["product", product], ["reference", reference]] as const) {
    if (failed(o)) rows.push({ scenario, figure: `${who} run failed`, value: null, reference: null, unit: "", note: o.error });
  }
  for (const f of FIGURES) {
    const value = failed(product) ? null : f.pick(product);
    const ref = failed(reference) ? null : f.pick(reference);
    const notes = [
      f.about ?? "",
      !failed(product) && f.flag?.(product) ? `product: ${f.flag(product)}` : "",
      !failed(reference) && f.flag?.(reference) ? `reference: ${f.flag(reference)}` : "",
    ].filter(Boolean);
    rows.push({ scenario, figure: f.figure, value, reference: ref, unit: f.unit, note: notes.join("; ") || undefined });
  }
  return rows;
}

export async function runWorldBenchmark(options: WorldBenchOptions): Promise<BenchRow[]> {
  const o: Options = {
    spreadSeconds: 20,
    radius: 100,
    env: {},
    backend: "embedded",
    serverCore: 0,
    botCore: 1,
    botProcesses: 4,
    watchers: 100,
    cpuProfDir: "",
    floor: false,
    log: (line) => process.stderr.write(`${line}\n`),
    ...options,
  };
  if (o.cpuProfDir) mkdirSync(o.cpuProfDir, { recursive: true });
  const rows: BenchRow[] = [];
  for (const aoi of o.aoi) {
    for (const clients of o.clients) {
      const scenario = `world ${clients} bots, AOI ${aoi ? `on (r=${o.radius})` : "off"}${o.backend === "real" ? ", Postgres + Redis" : ""}`;
      const radius = aoi ? o.radius : 0;
      const run = async (start: (dir: string) => Promise<Target>, what: string): Promise<RunOutcome> => {
        o.log(`${scenario}: ${what} (load ${loadAverage()})`);
        const dir = mkdtempSync(path.join(tmpdir(), "world-bench-"));
        try {
          const target = await start(dir);
          try {
            const figures = await measure(target, clients, o, dir);
            o.log(`  ${JSON.stringify(figures)}`);
            return figures;
          } finally {
            // A profiled server writes its profile as it exits, after its graceful shutdown.
            await target.server.stop("SIGTERM", o.cpuProfDir ? 120_000 : 10_000);
            await target.close?.();
          }
        } catch (err) {
          const error = err instanceof Error ? err.message.split("\n")[0]! : String(err);
          o.log(`  ${what} failed: ${err instanceof Error ? err.stack : error}`);
          return { error };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      };
      const product = await run(() => startProduct(clients, radius, o), "product");
      const reference = await run((dir) => startReference(radius, o, dir), "bare reference");
      rows.push(...scenarioRows(scenario, product, reference));
      if (o.floor) rows.push(...floorRows(scenario, product, await run((dir) => startReference(radius, o, dir, true), "floor")));
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
      "bot-processes": { type: "string", default: "4" },
      watchers: { type: "string", default: "100" },
      backend: { type: "string", default: "embedded" },
      "cpu-prof": { type: "string", default: "" },
      floor: { type: "boolean", default: false },
    },
  });
  const started = new Date();
  const loadAtStart = loadAverage();
  runWorldBenchmark({
    clients: String(values.clients).split(",").map(Number),
    aoi: String(values.aoi).split(",").map((v) => v === "on"),
    seconds: Number(values.seconds),
    spreadSeconds: Number(values.spread),
    botProcesses: Number(values["bot-processes"]),
    watchers: Number(values.watchers),
    backend: values.backend === "real" ? "real" : "embedded",
    cpuProfDir: values["cpu-prof"] ? path.resolve(String(values["cpu-prof"])) : "",
    floor: values.floor === true,
  })
    .then((rows) => {
      const header = `Run ${started.toISOString()}, ${values["bot-processes"]} light bot processes and ${values.watchers} watching bots, backend ${values.backend}; load average at start ${loadAtStart}, at end ${loadAverage()}`;
      process.stdout.write(`${header}\n\n${toMarkdown(rows, { notes: true })}\n`);
    })
    .catch((err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
