import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { runChatBenchmark } from "./chat-bench";
import { runOrigchatBenchmark } from "./origchat-bench";
import { runPointsBenchmark } from "./points-bench";
import { runRestBenchmark } from "./rest-bench";
import { runStoryBenchmark } from "./story-bench";
import { freshDatabase, REAL_BACKEND } from "./lib/backend";
import { toMarkdown, type BenchRow } from "./lib/table";
import { runWorldBenchmark } from "./world-bench";

/**
 * `npm run bench`: every benchmark scenario (docs/performance.md), each beside its
 * reference measured in the same run, printed as one table (and written to
 * loadtest/results/latest.md). `--only world,rest,dm,points,story,origchat` picks scenarios and `--clients`
 * the world fleet sizes (a quick end-to-end check: `--clients 50 --seconds 5`).
 * `--backend real` runs the product on Postgres + Redis
 * (BENCH_DATABASE_URL, BENCH_REDIS_URL; a database is created for the run and dropped).
 */
const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "embedded" },
    seconds: { type: "string", default: "30" },
    only: { type: "string" },
    clients: { type: "string", default: "100,500,1000" },
  },
});
const seconds = Number(values.seconds);
const only = new Set((values.only ?? "world,rest,dm,points,story,origchat").split(","));

async function withBackend<T>(run: (env: Record<string, string>, real: boolean) => Promise<T>): Promise<T> {
  if (values.backend !== "real") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-bench-"));
    try {
      return await run({ DATABASE_URL: "", DATA_DIR: dir }, false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const database = await freshDatabase();
  try {
    return await run({ DATABASE_URL: database.url, REDIS_URL: REAL_BACKEND.redis }, true);
  } finally {
    await database.drop();
  }
}

async function main() {
  const rows: BenchRow[] = [];
  const started = new Date();
  await withBackend(async (env, real) => {
    if (only.has("world")) rows.push(...(await runWorldBenchmark({ clients: values.clients!.split(",").map(Number), aoi: [false, true], seconds, env })));
    if (only.has("rest")) rows.push(...(await runRestBenchmark({ seconds: Math.min(seconds, 15), connections: 50, env })));
    if (only.has("dm")) {
      rows.push(...(await runChatBenchmark({ pairs: 100, rate: 500, seconds, processes: 1, env })));
      if (real) rows.push(...(await runChatBenchmark({ pairs: 100, rate: 500, seconds, processes: 2, env })));
    }
    if (only.has("points")) rows.push(...(await runPointsBenchmark({ seconds: Math.min(seconds, 15), connections: 50, users: 100, env })));
    if (only.has("story")) rows.push(...(await runStoryBenchmark({ concurrency: 50, seconds: Math.min(seconds, 20), length: "medium", env })));
    if (only.has("origchat")) rows.push(...(await runOrigchatBenchmark({ sessions: 100, seconds: Math.min(seconds, 20), thinkMs: 1000, env })));
  });
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const header = `Run ${started.toISOString()} on ${os.cpus().length} × ${cpu}, Node ${process.version}, backend ${values.backend}; load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`;
  const table = `${header}\n\n${toMarkdown(rows)}\n`;
  process.stdout.write(`\n${table}`);
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", "latest.md"), table);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
