import { latencyPercentile, type FleetSnapshot } from "./lib/world-stats";
import { runLoadtest } from "./lib/loadtest-run";
import { BENCH_ENV, startServer } from "./lib/server";

/**
 * CI's load smoke run (.ci/run): about 50 world bots for 10 s against
 * the embedded server, each registering, creating a character and joining over the
 * real API. Fails on any failed join or unexpected disconnection.
 */
const BOTS = Number(process.env.SMOKE_BOTS ?? 50);
const SECONDS = Number(process.env.SMOKE_SECONDS ?? 10);

async function main(): Promise<number> {
  const server = await startServer("index.ts", {
    ...BENCH_ENV,
    DATABASE_URL: "pglite://memory",
    ARGON2_MEMORY_KIB: "1024",
    ARGON2_ITERATIONS: "1",
  });
  let allInAt = 0;
  let first: FleetSnapshot | undefined;
  try {
    const run = await runLoadtest<FleetSnapshot>(
      "loadtest/world.ts",
      ["--endpoint", server.url.replace(/^http/, "ws"), "--room", "world_zone", "--numClients", String(BOTS)],
      {
        timeoutMs: (SECONDS + 120) * 1000,
        done: (s) => {
          if (s.failed > 0 || s.left > 0) return true;
          if (s.joined < BOTS) return false;
          if (!allInAt) {
            allInAt = Date.now();
            first = s;
          }
          return Date.now() - allInAt >= SECONDS * 1000;
        },
      },
    );
    const s = run.stats;
    const p50 = first ? latencyPercentile(first, s, 50) : null;
    const p99 = first ? latencyPercentile(first, s, 99) : null;
    process.stdout.write(
      `smoke: ${s.joined}/${BOTS} bots joined, ${s.failed} failed, ${s.left} left early; ` +
        `seq→patch p50 ${p50 ?? "n/a"} ms, p99 ${p99 ?? "n/a"} ms over ${SECONDS} s\n`,
    );
    return s.joined === BOTS && s.failed === 0 && s.left === 0 && allInAt > 0 ? 0 : 1;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`smoke failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
