import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchRow } from "./lib/table";
import { runLoadtest } from "./lib/loadtest-run";
import { setUpPlayers } from "./lib/origchat-setup";
import { cpuMs, histogramBuckets, histogramPercentile, NODE, ROOT, scrapeMetrics, type Scrape } from "./lib/proc";
import { BENCH_ENV, startServer } from "./lib/server";

export interface OrigchatBenchOptions {
  /** Sessions playing at once, one bot each. */
  sessions: number;
  seconds: number;
  /** A player's pause between a turn's result and its next turn, for the latency run. */
  thinkMs: number;
  env: Record<string, string>;
}

interface OrigchatStats {
  done: boolean;
  measuring: boolean;
  bots: number;
  /** Bots whose room closed while they played (the close code is in the loadtest's log). */
  left: number;
  turns: number;
  turns_total: number;
  errors: number;
  turns_per_second: number;
  p50: number | null;
  p99: number | null;
}

/** The engine's histogram of turn times (infra/metrics.ts), origchat's series. */
const TURN_SECONDS = "tavern_chat_turn_seconds";
const ORIGCHAT = 'kind="origchat"';

/**
 * Origchat turns (docs/performance.md): `sessions` bots on core 1, each playing its
 * own session in its origchat room against the product on core 0 (built-in generator
 * at zero pace). Two runs: players pausing `thinkMs` between turns (the latency a
 * player sees, at a load the server keeps up with), then every player sending its next
 * turn as soon as the last is answered (the most turns/s the server plays). Beside the
 * built-in generator alone on core 0 in the same run, writing the same kind of reply.
 */
export async function runOrigchatBenchmark(o: OrigchatBenchOptions): Promise<BenchRow[]> {
  const server = await startServer("index.ts", {
    ...BENCH_ENV,
    ARGON2_MEMORY_KIB: "1024",
    ARGON2_ITERATIONS: "1",
    ...o.env,
    GENERATOR: "builtin",
    GENERATOR_PACE_MS: "0",
  });
  const ws = server.url.replace(/^http/, "ws");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-origchat-"));
  const file = path.join(dir, "credentials.json");
  const scrape = () => scrapeMetrics(`${server.url}/metrics`, BENCH_ENV.METRICS_TOKEN!);
  /**
   * A run of the bots, with the server's CPU time per turn played in the measured window
   * (read as the bots report it) and the engine's own turn times over that window.
   */
  const play = async (thinkMs: number) => {
    let from: { cpu: number; turns: number; metrics: Promise<Scrape> } | undefined;
    let to: { cpu: number; turns: number; metrics: Promise<Scrape> } | undefined;
    const run = await runLoadtest<OrigchatStats>(
      "loadtest/origchat.ts",
      ["--endpoint", ws, "--room", "origchat", "--numClients", String(o.sessions), "--think", String(thinkMs), "--seconds", String(o.seconds), "--credentials", file],
      {
        done: (s) => {
          if (s.measuring && !from) from = { cpu: cpuMs(server.pid), turns: s.turns_total, metrics: scrape() };
          if (s.done && from && !to) to = { cpu: cpuMs(server.pid), turns: s.turns_total, metrics: scrape() };
          return s.done;
        },
        timeoutMs: (o.seconds + 180) * 1000,
      },
    );
    const engine = (p: number, before: Scrape, after: Scrape) => {
      const seconds = histogramPercentile(histogramBuckets(before, TURN_SECONDS, ORIGCHAT), histogramBuckets(after, TURN_SECONDS, ORIGCHAT), p);
      return seconds === null ? null : seconds * 1000;
    };
    const [before, after] = from && to ? await Promise.all([from.metrics, to.metrics]) : [undefined, undefined];
    return {
      ...run,
      cpuPerTurn: from && to && to.turns > from.turns ? (to.cpu - from.cpu) / (to.turns - from.turns) : null,
      engineP50: before && after ? engine(50, before, after) : null,
      engineP99: before && after ? engine(99, before, after) : null,
    };
  };
  let paced;
  let flat;
  try {
    // Players and their sessions are set up over REST first, so that the bots only join and play.
    fs.writeFileSync(file, JSON.stringify(await setUpPlayers(server.url, o.sessions)));
    paced = await play(o.thinkMs);
    flat = await play(0);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const alone = JSON.parse(
    execFileSync("taskset", ["-c", "0", NODE, "--import", "tsx", "loadtest/reference/reply-alone.ts"], {
      cwd: ROOT,
      env: { ...process.env, SECONDS: String(Math.min(o.seconds, 10)) },
      encoding: "utf8",
    }),
  ) as { replies_per_second: number; deltas_per_reply: number; p50: number; p99: number };

  const pacedScenario = `origchat turns (${o.sessions} sessions, ~${o.thinkMs} ms between turns, built-in at zero pace)`;
  const flatScenario = `origchat turns (${o.sessions} sessions back to back, built-in at zero pace)`;
  const problems = (run: NonNullable<typeof paced>) =>
    run.failed > 0 || run.stats.errors > 0 || run.stats.left > 0
      ? `${run.failed} failed joins, ${run.stats.errors} error messages, ${run.stats.left} bots closed out`
      : undefined;
  const added = paced.stats.p99 !== null ? paced.stats.p99 - alone.p99 : null;
  const engineAdded = paced.engineP99 !== null ? paced.engineP99 - alone.p99 : null;
  return [
    { scenario: pacedScenario, figure: "sessions playing", value: paced.stats.bots, reference: null, unit: "sessions", note: problems(paced) },
    { scenario: pacedScenario, figure: "turns/s", value: paced.stats.turns_per_second, reference: null, unit: "1/s" },
    { scenario: pacedScenario, figure: "turn latency p50", value: paced.stats.p50, reference: alone.p50, unit: "ms" },
    { scenario: pacedScenario, figure: "turn latency p99", value: paced.stats.p99, reference: alone.p99, unit: "ms" },
    { scenario: pacedScenario, figure: "added to the generator at p99, as the bots see it", value: added, reference: null, unit: "ms" },
    { scenario: pacedScenario, figure: "engine turn time p50 (server)", value: paced.engineP50, reference: alone.p50, unit: "ms" },
    { scenario: pacedScenario, figure: "engine turn time p99 (server)", value: paced.engineP99, reference: alone.p99, unit: "ms" },
    { scenario: pacedScenario, figure: "added by the engine at p99 (target < 5)", value: engineAdded, reference: null, unit: "ms" },
    { scenario: pacedScenario, figure: "server CPU per turn", value: paced.cpuPerTurn, reference: alone.p50, unit: "ms" },
    { scenario: flatScenario, figure: "turns/s", value: flat.stats.turns_per_second, reference: alone.replies_per_second, unit: "1/s", note: problems(flat) },
    { scenario: flatScenario, figure: "turn latency p50", value: flat.stats.p50, reference: alone.p50, unit: "ms" },
    { scenario: flatScenario, figure: "turn latency p99", value: flat.stats.p99, reference: alone.p99, unit: "ms" },
    { scenario: flatScenario, figure: "server CPU per turn", value: flat.cpuPerTurn, reference: alone.p50, unit: "ms" },
    { scenario: flatScenario, figure: "engine turn time p99 (server)", value: flat.engineP99, reference: alone.p99, unit: "ms" },
  ];
}
