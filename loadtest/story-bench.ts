import { execFileSync } from "node:child_process";
import http from "node:http";
import { percentile, type BenchRow } from "./lib/table";
import { NODE, ROOT } from "./lib/proc";
import { BENCH_ENV, startServer } from "./lib/server";

export interface StoryBenchOptions {
  /** Streams open at once, each starting the next generation when one ends. */
  concurrency: number;
  seconds: number;
  length: "short" | "medium" | "long";
  env: Record<string, string>;
}

interface Sample {
  /** Request sent → first event (`job`) received, ms. */
  firstEvent: number;
  /** Request sent → `done` received, ms. */
  whole: number;
  deltas: number;
}

/**
 * Story streams (docs/performance.md): `concurrency` clients each running
 * `POST /stories/generate/stream` back to back against the product (built-in generator
 * at zero pace, server on core 0), reading every event as an SSE client does; beside
 * the generator alone on the same core in the same run. The clients run here, on the
 * load core.
 */
export async function runStoryBenchmark(o: StoryBenchOptions): Promise<BenchRow[]> {
  const server = await startServer("index.ts", { ...BENCH_ENV, ...o.env, GENERATOR: "builtin", GENERATOR_PACE_MS: "0" });
  const samples: Sample[] = [];
  let failures = 0;
  let elapsed = 0;
  try {
    const token = await signUp(server.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
    // A first stream warms the JIT and the connection pool before measuring.
    await stream(server.url, token, agent, o.length, -1);
    const started = performance.now();
    const deadline = started + o.seconds * 1000;
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (performance.now() < deadline) {
          try {
            samples.push(await stream(server.url, token, agent, o.length, next++));
          } catch {
            failures++;
          }
        }
      }),
    );
    elapsed = (performance.now() - started) / 1000;
    agent.destroy();
  } finally {
    await server.stop();
  }

  const alone = JSON.parse(
    execFileSync("taskset", ["-c", "0", NODE, "--import", "tsx", "loadtest/reference/generator-alone.ts"], {
      cwd: ROOT,
      env: { ...process.env, SECONDS: String(Math.min(o.seconds, 10)), LENGTH: o.length },
      encoding: "utf8",
    }),
  ) as { stories_per_second: number; deltas_per_story: number; first_p50: number; first_p99: number; story_p50: number; story_p99: number };

  const scenario = `story streams (${o.concurrency} concurrent, ${o.length}, built-in at zero pace)`;
  const first = samples.map((s) => s.firstEvent);
  const whole = samples.map((s) => s.whole);
  const deltas = samples.reduce((n, s) => n + s.deltas, 0);
  return [
    { scenario, figure: "streams/s", value: samples.length / elapsed, reference: alone.stories_per_second, unit: "1/s", note: failures > 0 ? `${failures} failed streams` : undefined },
    { scenario, figure: "delta events/s", value: deltas / elapsed, reference: alone.stories_per_second * alone.deltas_per_story, unit: "1/s" },
    { scenario, figure: "time to first event p50", value: percentile(first, 50), reference: alone.first_p50, unit: "ms" },
    { scenario, figure: "time to first event p99", value: percentile(first, 99), reference: alone.first_p99, unit: "ms" },
    { scenario, figure: "whole stream p50", value: percentile(whole, 50), reference: alone.story_p50, unit: "ms" },
    { scenario, figure: "whole stream p99", value: percentile(whole, 99), reference: alone.story_p99, unit: "ms" },
  ];
}

async function signUp(url: string): Promise<string> {
  const credentials = { username: `story_${Date.now().toString(36)}`, password: "correct-horse-1" };
  const post = (path: string, body: unknown) =>
    fetch(`${url}/api/v1${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const reg = await post("/auth/register", { ...credentials, email: `${credentials.username}@bench.test` });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await post("/auth/login", credentials);
  return ((await login.json()) as { access_token: string }).access_token;
}

/** One generation, read as an SSE client reads it; resolves at `done`, rejects on `error` or a cut stream. */
function stream(url: string, token: string, agent: http.Agent, length: string, n: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const body = JSON.stringify({ prompt: `A story for the benchmark, number ${n}`, length });
    const req = http.request(
      `${url}/api/v1/stories/generate/stream`,
      { method: "POST", agent, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream", "content-length": Buffer.byteLength(body) } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`status ${res.statusCode}`));
          return;
        }
        res.setEncoding("utf8");
        let firstEvent = 0;
        let deltas = 0;
        let outcome: "done" | "error" | undefined;
        let carry = "";
        res.on("data", (chunk: string) => {
          const text = carry + chunk;
          const lines = text.split("\n");
          carry = lines.pop()!;
          for (const line of lines) {
            if (!line.startsWith("event:")) continue;
            if (!firstEvent) firstEvent = performance.now() - t0;
            const name = line.slice(6).replace(/^ /, "");
            if (name === "delta") deltas++;
            else if (name === "done" || name === "error") outcome = name;
          }
        });
        res.on("end", () => (outcome === "done" ? resolve({ firstEvent, whole: performance.now() - t0, deltas }) : reject(new Error(`stream ended with ${outcome ?? "nothing"}`))));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
