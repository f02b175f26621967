import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { freshDatabase, REAL_BACKEND } from "./lib/backend";
import { BENCH_ENV, startServer } from "./lib/server";
import { sleep } from "./lib/proc";

/**
 * Where a REST request's CPU goes: runs the product pinned to core 0 under
 * `node --cpu-prof`, drives one route with autocannon from core 1, and sums the profile's
 * self time by package (node_modules/<name>, node internals, our own folders) and by
 * function, over the load window only (the server's start-up, migrations and set-up
 * requests are left out). Profiles are shares of CPU, so they stay meaningful on a busy
 * machine.
 *
 *   npx tsx loadtest/rest-profile.ts [--route /api/v1/characters] [--seconds 10] [--top 25] [--backend embedded|real]
 *     [--method POST --body '{"amount":1}'] [--grant 100000000] [--users 1] [--keep]
 *
 * --grant gives the signed-in user that many points first (through a bootstrap admin),
 * so that `--route /api/v1/point/use --method POST --body '{"amount":1,"reason":"x"}'`
 * profiles uses. --users spreads the requests over that many signed-in users, picked at
 * random per request (uses on 100 balances, as the points benchmark plays them). --keep
 * leaves the .cpuprofile for Chrome DevTools and prints where.
 *
 * --heap profiles allocation instead of CPU: V8's sampling heap profiler over the load
 * window, freed objects included (`lib/heap-sampling.mjs`), summed by package and
 * function as bytes allocated per request. Allocation is what garbage collection costs
 * follow, and a CPU profile only shows the collector, not who fed it.
 *
 * --backend real runs the product on Postgres + Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL),
 * on a database created for the run and dropped after it.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const HEAP_SAMPLER = path.join(__dirname, "lib", "heap-sampling.mjs");

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values } = parseArgs({
  options: {
    route: { type: "string", default: "/api/v1/characters" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    top: { type: "string", default: "25" },
    backend: { type: "string", default: "embedded" },
    method: { type: "string", default: "GET" },
    body: { type: "string" },
    grant: { type: "string" },
    users: { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
    heap: { type: "boolean", default: false },
  },
});

/** The bucket a frame's cost belongs to: a package, node's internals, or a folder of ours. */
function bucketOf(url: string): string {
  if (!url) return "(native, GC, idle)";
  if (url.startsWith("node:")) return "node internals";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const relative = url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "");
  return relative.split("/")[0] ?? relative;
}

/** Sums samples taken between `fromMs` and `toMs` after profiling began. */
function summarize(profile: Profile, top: number, fromMs: number, toMs: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= fromMs * 1000 && at <= toMs * 1000) self.set(id, (self.get(id) ?? 0) + delta);
  });
  let total = 0;
  const byBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === "(idle)") continue;
    total += us;
    const bucket = bucketOf(node.callFrame.url);
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + us);
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${bucketOf(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
  return { total, buckets: lines(byBucket), functions: lines(byFunction) };
}

/** Bytes allocated per request, by package and by function, from a sampling heap profile. */
function summarizeHeap(head: HeapNode, requests: number, top: number) {
  let total = 0;
  const byBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const walk = (node: HeapNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    total += node.selfSize;
    const bucket = bucketOf(url);
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + node.selfSize);
    const fn = `${functionName || "(anonymous)"} ${bucket}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(head);
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, bytes]) => `${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${(bytes / requests / 1024).toFixed(2).padStart(6)} KiB  ${k}`);
  return { perRequest: total / requests / 1024, buckets: lines(byBucket), functions: lines(byFunction) };
}

const ADMIN = { username: "profile_admin", email: "profile_admin@bench.test", password: "profile-admin-password-1" };

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "rest-profile-"));
  const heapFile = path.join(dir, "load.heapprofile");
  const database = values.backend === "real" ? await freshDatabase() : undefined;
  try {
    const spawned = Date.now();
    const server = await startServer("index.ts", {
      ...BENCH_ENV,
      ...(database ? { DATABASE_URL: database.url, REDIS_URL: REAL_BACKEND.redis } : { DATABASE_URL: "pglite://memory" }),
      ...(values.heap
        ? { NODE_OPTIONS: `--import ${HEAP_SAMPLER}`, HEAP_PROFILE_FILE: heapFile }
        : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` }),
      ...(values.grant ? { BOOTSTRAP_ADMIN_USERNAME: ADMIN.username, BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password } : {}),
    });
    let rps = 0;
    let requests = 0;
    let window: [number, number] = [0, 0];
    try {
      const api = `${server.url}/api/v1`;
      const post = (p: string, body: unknown, token?: string) =>
        fetch(api + p, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
      const stamp = Date.now().toString(36);
      let admin: string | undefined;
      if (values.grant) {
        ({ access_token: admin } = (await (await post("/auth/login", { username: ADMIN.username, password: ADMIN.password })).json()) as { access_token: string });
      }
      const tokens: string[] = [];
      for (let i = 0; i < Number(values.users); i++) {
        const credentials = { username: `prof_${stamp}_${i}`, password: "correct-horse-1" };
        const { id } = (await (await post("/auth/register", { ...credentials, email: `${credentials.username}@bench.test` })).json()) as { id: string };
        const { access_token: token } = (await (await post("/auth/login", credentials)).json()) as { access_token: string };
        if (admin) await post("/admin/points/grant", { user_id: id, amount: Number(values.grant), reason: "profile" }, admin);
        for (const name of ["Ayla", "Bram", "Cora"]) await post("/characters", { name }, token);
        tokens.push(token);
      }
      const loadStart = Date.now() - spawned;
      if (values.heap) process.kill(server.pid, "SIGWINCH");
      const result = await autocannon({
        url: server.url + values.route,
        connections: Number(values.connections),
        duration: Number(values.seconds),
        requests: [
          {
            method: values.method as autocannon.Request["method"],
            ...(values.body ? { body: values.body } : {}),
            setupRequest: (req) => ({
              ...req,
              headers: {
                ...req.headers,
                ...(values.body ? { "content-type": "application/json" } : {}),
                authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}`,
              },
            }),
          },
        ],
      });
      rps = result.requests.average;
      requests = result.requests.total;
      if (values.heap) {
        process.kill(server.pid, "SIGWINCH");
        for (let waited = 0; !existsSync(heapFile) && waited < 30_000; waited += 200) await sleep(200);
      }
      // A little inside the window at both ends: the spawn-to-profile offset is not known exactly.
      window = [loadStart + 500, loadStart + Number(values.seconds) * 1000 - 500];
    } finally {
      await server.stop("SIGINT");
    }
    if (values.heap) {
      if (!existsSync(heapFile)) throw new Error("no heap profile was written");
      const { perRequest, buckets, functions } = summarizeHeap((JSON.parse(readFileSync(heapFile, "utf8")) as { head: HeapNode }).head, requests, Number(values.top));
      process.stdout.write(
        [`${values.route}: ${rps.toFixed(0)} req/s under the sampler; ${perRequest.toFixed(1)} KiB allocated per request`, "", "by package:", ...buckets, "", "by function:", ...functions, ""].join("\n"),
      );
      return;
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("no profile was written");
    const { total, buckets, functions } = summarize(JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Profile, Number(values.top), ...window);
    process.stdout.write(
      [`${values.route}: ${rps.toFixed(0)} req/s; ${(total / 1e6).toFixed(1)} s of CPU profiled`, "", "by package:", ...buckets, "", "by function:", ...functions, ""].join("\n"),
    );
  } finally {
    if (values.keep) console.log(`profile kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
