import { execFileSync } from "node:child_process";
import autocannon from "autocannon";
import type { BenchRow } from "./lib/table";
import { NODE, ROOT } from "./lib/proc";
import { BENCH_ENV, startServer } from "./lib/server";

export interface RestBenchOptions {
  seconds: number;
  connections: number;
  /** Backend variables (DATABASE_URL, REDIS_URL) for the product. */
  env: Record<string, string>;
}

interface Load {
  rps: number;
  p99: number;
  failures: number;
}

async function load(opts: autocannon.Options): Promise<Load> {
  const result = await autocannon(opts);
  return { rps: result.requests.average, p99: result.latency.p99, failures: result.non2xx + result.errors + result.timeouts };
}

async function json(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

/** The median of each figure over the rounds: one slow window of a shared machine moves it little. */
function median(loads: Load[]): Load {
  const mid = <T>(xs: T[]) => xs[Math.floor(xs.length / 2)]!;
  const by = (k: keyof Load) => mid(loads.map((l) => l[k]).sort((a, b) => a - b));
  return { rps: by("rps"), p99: by("p99"), failures: loads.reduce((n, l) => n + l.failures, 0) };
}

/**
 * The REST benchmarks: cached `GET /characters` and `GET /users/me`, each against a bare
 * Express route answering the same JSON body, and login/s against argon2 verify alone,
 * all served from one pinned core (core 0) with autocannon on the other.
 *
 * The product and the bare routes run side by side and are loaded in turn, round after
 * round, each figure the median of its rounds: on a virtual machine the core's speed
 * drifts by tens of percent over a minute, and a reference measured once, before or
 * after, would carry that drift into the ratio.
 */
export async function runRestBenchmark(o: RestBenchOptions): Promise<BenchRow[]> {
  const rounds = 3;
  const window = Math.max(3, Math.round(o.seconds / rounds));
  const server = await startServer("index.ts", { ...BENCH_ENV, ...o.env });
  let bare: Awaited<ReturnType<typeof startServer>> | undefined;
  let characters: Load, me: Load, login: Load, bareCharacters: Load, bareMe: Load;
  const credentials = { username: `bench_${Date.now().toString(36)}`, password: "correct-horse-1" };
  try {
    const api = `${server.url}/api/v1`;
    await json(`${api}/auth/register`, {
      method: "POST",
      body: JSON.stringify({ ...credentials, email: `${credentials.username}@bench.test` }),
    });
    const { access_token: token } = await json(`${api}/auth/login`, { method: "POST", body: JSON.stringify(credentials) });
    const auth = { authorization: `Bearer ${token}` };
    for (const name of ["Ayla", "Bram", "Cora"]) {
      await json(`${api}/characters`, { method: "POST", headers: auth, body: JSON.stringify({ name }) });
    }
    // The bodies the product answers are the bare routes' bodies.
    const bodies = { "/characters": await json(`${api}/characters`, { headers: auth }), "/me": await json(`${api}/users/me`, { headers: auth }) };
    bare = await startServer("loadtest/reference/bare-express.ts", { BODIES: JSON.stringify(bodies) });
    const seen = { bareCharacters: [] as Load[], characters: [] as Load[], bareMe: [] as Load[], me: [] as Load[] };
    const run = (url: string, headers: Record<string, string> = {}) => load({ url, headers, connections: o.connections, duration: window });
    for (let round = 0; round < rounds; round++) {
      seen.bareCharacters.push(await run(`${bare.url}/characters`));
      seen.characters.push(await run(`${api}/characters`, auth));
      seen.bareMe.push(await run(`${bare.url}/me`));
      seen.me.push(await run(`${api}/users/me`, auth));
    }
    [bareCharacters, characters, bareMe, me] = [median(seen.bareCharacters), median(seen.characters), median(seen.bareMe), median(seen.me)];
    login = await load({
      url: `${api}/auth/login`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(credentials),
      connections: 10,
      duration: o.seconds,
    });
  } finally {
    await bare?.stop();
    await server.stop();
  }

  const argon = JSON.parse(
    execFileSync("taskset", ["-c", "0", NODE, "--import", "tsx", "loadtest/reference/argon2-verify.ts"], {
      cwd: ROOT,
      env: { ...process.env, CONCURRENCY: "10", SECONDS: String(o.seconds) },
      encoding: "utf8",
    }),
  ) as { verifies_per_second: number };

  const failed = (l: Load) => (l.failures > 0 ? `${l.failures} non-2xx or errors` : undefined);
  return [
    { scenario: "REST GET /characters (cached)", figure: "requests/s", value: characters.rps, reference: bareCharacters.rps, unit: "req/s", note: failed(characters) },
    { scenario: "REST GET /characters (cached)", figure: "p99 latency", value: characters.p99, reference: bareCharacters.p99, unit: "ms" },
    { scenario: "REST GET /users/me", figure: "requests/s", value: me.rps, reference: bareMe.rps, unit: "req/s", note: failed(me) },
    { scenario: "REST GET /users/me", figure: "p99 latency", value: me.p99, reference: bareMe.p99, unit: "ms" },
    { scenario: "login", figure: "logins/s", value: login.rps, reference: argon.verifies_per_second, unit: "1/s", note: failed(login) },
  ];
}
