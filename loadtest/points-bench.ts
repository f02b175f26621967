import { execFileSync } from "node:child_process";
import autocannon from "autocannon";
import type { BenchRow } from "./lib/table";
import { NODE, ROOT } from "./lib/proc";
import { BENCH_ENV, startServer } from "./lib/server";

export interface PointsBenchOptions {
  seconds: number;
  connections: number;
  /** How many balances the "many" scenario spreads its uses over. */
  users: number;
  /** Backend variables (DATABASE_URL, REDIS_URL, DATA_DIR) for the product. */
  env: Record<string, string>;
}

const ADMIN = { username: "bench_admin", email: "bench_admin@bench.test", password: "bench-admin-password-1" };
/** Far more than a run can spend at 1 point a use, and within one grant. */
const LARGE_BALANCE = 1_000_000_000;
/** The drained balance: a run's uses exceed it, so it must end at exactly 0. */
const DRAIN_BALANCE = 3000;

interface Load {
  usesPerSecond: number;
  p99: number;
  succeeded: number;
  refused: number;
  failures: number;
}

interface Reference {
  per_second: number;
  p99_ms: number;
  succeeded: number;
  exact: boolean;
}

async function json(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

const USE_BODY = JSON.stringify({ amount: 1, reason: "bench" });

/** autocannon POST /point/use, each request signed as one of `tokens` (picked at random when several). */
async function useLoad(api: string, tokens: string[], opts: { connections: number; duration?: number; amount?: number }): Promise<Load> {
  const result = await autocannon({
    url: `${api}/point/use`,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration }),
    requests: [
      {
        method: "POST",
        body: USE_BODY,
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, "content-type": "application/json", authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}` },
        }),
      },
    ],
  });
  const refused = result.statusCodeStats?.["409"]?.count ?? 0;
  return {
    usesPerSecond: result["2xx"] / result.duration,
    p99: result.latency.p99,
    succeeded: result["2xx"],
    refused,
    failures: result.non2xx - refused + result.errors + result.timeouts,
  };
}

/**
 * Points figures (docs/performance.md): concurrent `POST /point/use` on one
 * balance (every use waits on the same row) and on many (spread over `users`
 * balances), beside the bare conditional UPDATE on the same database in the same run,
 * and beside a bare Express POST (body parsing and the same answer, nothing else) on the
 * same core: the most any HTTP route could reach there.
 * The final balances are checked exactly: against the uses their ledgers hold (and those
 * against the answers the client got), against the ledger audit (GET
 * /admin/points/verify), and a balance smaller than the load drains to exactly 0.
 */
export async function runPointsBenchmark(o: PointsBenchOptions): Promise<BenchRow[]> {
  const env = {
    ...BENCH_ENV,
    ...o.env,
    // Registering the users is set-up, not the figure: cheap argon2.
    ARGON2_MEMORY_KIB: "1024",
    ARGON2_ITERATIONS: "1",
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  };
  const server = await startServer("index.ts", env);
  const api = `${server.url}/api/v1`;
  let one: Load, many: Load, drain: Load;
  let answered: unknown;
  let oneId: string, manyIds: string[];
  const checks: string[] = [];
  try {
    const { access_token: admin } = await json(`${api}/auth/login`, { method: "POST", body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }) });
    const grant = (userId: string, amount: number) =>
      json(`${api}/admin/points/grant`, { method: "POST", headers: { authorization: `Bearer ${admin}` }, body: JSON.stringify({ user_id: userId, amount, reason: "bench" }) });
    const stamp = Date.now().toString(36);
    const users: { id: string; token: string }[] = [];
    for (let i = 0; i < o.users + 3; i++) {
      const credentials = { username: `pb_${stamp}_${i}`, password: "correct-horse-1" };
      const { id } = await json(`${api}/auth/register`, { method: "POST", body: JSON.stringify({ ...credentials, email: `${credentials.username}@bench.test` }) });
      const { access_token: token } = await json(`${api}/auth/login`, { method: "POST", body: JSON.stringify(credentials) });
      users.push({ id, token });
    }
    type User = { id: string; token: string };
    const [single, drained, sample, ...spread] = users as [User, User, User, ...User[]];
    oneId = single.id;
    manyIds = spread.map((u) => u.id);
    for (const u of [single, ...spread]) await grant(u.id, LARGE_BALANCE);
    await grant(drained.id, DRAIN_BALANCE);
    await grant(sample.id, 1);
    // What a use answers, for the bare Express reference to answer too.
    answered = await json(`${api}/point/use`, { method: "POST", headers: { authorization: `Bearer ${sample.token}` }, body: USE_BODY });
    const balanceOf = async (token: string) => (await json(`${api}/point/balance`, { headers: { authorization: `Bearer ${token}` } })).balance as number;

    one = await useLoad(api, [single.token], { connections: o.connections, duration: o.seconds });
    many = await useLoad(api, spread.map((u) => u.token), { connections: o.connections, duration: o.seconds });
    drain = await useLoad(api, [drained.token], { connections: o.connections, amount: 2 * DRAIN_BALANCE });

    // A timed run stops with up to `connections` uses in flight: the server may have
    // committed them unseen. So each balance is checked against its ledger's uses, and
    // those against what the client saw.
    const usesOf = async (token: string) =>
      ((await json(`${api}/point/transactions?limit=1`, { headers: { authorization: `Bearer ${token}` } })).total as number) - 1;
    const check = async (what: string, group: { token: string }[], load: Load, start: number) => {
      let balance = 0;
      let uses = 0;
      for (const u of group) {
        balance += await balanceOf(u.token);
        uses += await usesOf(u.token);
      }
      if (balance !== group.length * start - uses) checks.push(`${what}: balance ${balance} after ${uses} uses of ${group.length * start}`);
      // Requests that timed out may still have committed, later.
      if (uses < load.succeeded || uses > load.succeeded + o.connections + load.failures) checks.push(`${what}: ${uses} uses stored, ${load.succeeded} answered`);
    };
    await check("one balance", [single], one, LARGE_BALANCE);
    await check("many balances", spread, many, LARGE_BALANCE);
    await check("drained balance", [drained], drain, DRAIN_BALANCE);
    if ((await balanceOf(drained.token)) !== 0 || drain.succeeded !== DRAIN_BALANCE) checks.push(`drained balance: ${drain.succeeded} uses succeeded`);
    const audit = await json(`${api}/admin/points/verify`, { headers: { authorization: `Bearer ${admin}` } });
    if (audit.mismatches.length > 0) checks.push(`${audit.mismatches.length} balances differ from their ledger`);
  } finally {
    await server.stop();
  }

  // The same database, now without the server: its PGlite directory or its Postgres database.
  const reference = JSON.parse(
    execFileSync("taskset", ["-c", "0", NODE, "--import", "tsx", "loadtest/reference/bare-update.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...(o.env.DATABASE_URL ? { DATABASE_URL: o.env.DATABASE_URL } : { DATABASE_URL: "", DATA_DIR: o.env.DATA_DIR! }),
        CONCURRENCY: String(o.connections),
        SECONDS: String(o.seconds),
        ONE_USER_ID: oneId!,
        MANY_USER_IDS: manyIds!.join(","),
      },
      encoding: "utf8",
    }),
  ) as { one: Reference; many: Reference; ledger: Reference };
  if (!reference.one.exact || !reference.many.exact || !reference.ledger.exact) checks.push("the bare statements' balances did not move by their successes");

  // The HTTP ceiling: a bare Express POST that parses the same body and answers a use's answer, on the same core.
  const bare = await startServer("loadtest/reference/bare-express.ts", { BODIES: JSON.stringify({ "/point/use": answered }) });
  let http: Load;
  try {
    http = await useLoad(bare.url, ["none"], { connections: o.connections, duration: o.seconds });
  } finally {
    await bare.stop();
  }

  for (const check of checks) process.stderr.write(`points benchmark: ${check}\n`);
  const scenario = (what: string) => `points: POST /point/use, ${what}, ${o.connections} connections`;
  return [
    { scenario: scenario("one balance"), figure: "uses/s", value: one.usesPerSecond, reference: reference.one.per_second, unit: "1/s" },
    { scenario: scenario("one balance"), figure: "p99 latency", value: one.p99, reference: reference.one.p99_ms, unit: "ms" },
    { scenario: scenario("one balance"), figure: "failed requests", value: one.failures, reference: 0, unit: "requests" },
    { scenario: scenario(`${o.users} balances`), figure: "uses/s", value: many.usesPerSecond, reference: reference.many.per_second, unit: "1/s" },
    { scenario: scenario(`${o.users} balances`), figure: "p99 latency", value: many.p99, reference: reference.many.p99_ms, unit: "ms" },
    { scenario: scenario(`${o.users} balances`), figure: "failed requests", value: many.failures, reference: 0, unit: "requests" },
    { scenario: `points: one use's statement alone, unbatched (the UPDATE feeding its ledger INSERT), ${o.users} balances`, figure: "statements/s", value: reference.ledger.per_second, reference: reference.many.per_second, unit: "1/s" },
    { scenario: scenario(`${o.users} balances`), figure: "uses/s against one use's statement alone", value: many.usesPerSecond, reference: reference.ledger.per_second, unit: "1/s" },
    { scenario: `points: a bare Express POST parsing the same body and answering a use's answer (no auth, no database)`, figure: "requests/s", value: http.usesPerSecond, reference: reference.many.per_second, unit: "1/s" },
    { scenario: scenario(`${o.users} balances`), figure: "uses/s against the bare Express POST", value: many.usesPerSecond, reference: http.usesPerSecond, unit: "1/s" },
    { scenario: scenario(`a balance of ${DRAIN_BALANCE}, ${2 * DRAIN_BALANCE} uses`), figure: "uses that succeeded", value: drain.succeeded, reference: DRAIN_BALANCE, unit: "uses" },
    { scenario: "points: final balances", figure: "off from the successes or the ledger", value: checks.length, reference: 0, unit: "checks" },
  ];
}
