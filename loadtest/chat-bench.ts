import { execFileSync } from "node:child_process";
import type { BenchRow } from "./lib/table";
import { runLoadtest } from "./lib/loadtest-run";
import { freePort, NODE, ROOT } from "./lib/proc";
import { BENCH_ENV, startServer, type Started } from "./lib/server";

export interface ChatBenchOptions {
  pairs: number;
  /** Messages per second in total. */
  rate: number;
  seconds: number;
  /** 2 needs Postgres + Redis in `env`. */
  processes: 1 | 2;
  env: Record<string, string>;
}

interface ChatStats {
  done: boolean;
  bots: number;
  delivered: number;
  errors: number;
  messages_per_second: number;
  p50: number | null;
  p99: number | null;
}

/**
 * DM figures: pairs of bots on their inboxes at a fixed total rate, send → deliver
 * latency, beside a bare presence publish → receive round trip at the same rate.
 * Servers are pinned to core 0, bots to core 1.
 */
export async function runChatBenchmark(o: ChatBenchOptions): Promise<BenchRow[]> {
  const env = { ...BENCH_ENV, ARGON2_MEMORY_KIB: "1024", ARGON2_ITERATIONS: "1", ...o.env };
  const servers: Started[] = [];
  let run;
  try {
    for (let i = 0; i < o.processes; i++) {
      // Each process must tell clients where its rooms live, or cross-process seats expire.
      const port = await freePort();
      servers.push(await startServer("index.ts", { ...env, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` }));
    }
    const ws = servers.map((s) => s.url.replace(/^http/, "ws"));
    const interval = Math.round((o.pairs * 1000) / o.rate);
    run = await runLoadtest<ChatStats>(
      "loadtest/chat.ts",
      [
        "--endpoint", ws[0],
        ...(ws[1] ? ["--endpoint2", ws[1]] : []),
        "--room", "inbox",
        "--numClients", String(o.pairs),
        "--interval", String(interval),
        "--seconds", String(o.seconds),
      ],
      { done: (s) => s.done, timeoutMs: (o.seconds + 120) * 1000 },
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }

  const reference = JSON.parse(
    execFileSync("taskset", ["-c", "0", NODE, "--import", "tsx", "loadtest/reference/presence-roundtrip.ts"], {
      cwd: ROOT,
      env: { ...process.env, RATE: String(o.rate), SECONDS: String(Math.min(o.seconds, 10)), REDIS_URL: o.env.REDIS_URL ?? "" },
      encoding: "utf8",
    }),
  ) as { messages_per_second: number; p50: number; p99: number };

  const scenario = `DM ${o.pairs} pairs at ${o.rate} msg/s, ${o.processes} process${o.processes > 1 ? "es" : ""}`;
  const s = run.stats;
  return [
    { scenario, figure: "inbox connections", value: run.connected, reference: null, unit: "connections" },
    { scenario, figure: "failed joins / error messages", value: run.failed + s.errors, reference: null, unit: "count" },
    { scenario, figure: "messages/s delivered", value: s.messages_per_second, reference: reference.messages_per_second, unit: "msg/s" },
    { scenario, figure: "send→deliver p50", value: s.p50, reference: reference.p50, unit: "ms" },
    { scenario, figure: "send→deliver p99", value: s.p99, reference: reference.p99, unit: "ms" },
  ];
}
