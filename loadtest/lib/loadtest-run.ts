import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NODE, ROOT } from "./proc";

export interface LoadtestRun<S> {
  stats: S;
  connected: number;
  failed: number;
}

/**
 * Runs an `@colyseus/loadtest` script pinned to `core`. The loadtest UI needs a TTY, so
 * it runs under `script`; the bots write their figures to a stats file, which is
 * polled until `done(stats)`, then the run is stopped and its summary read.
 */
export async function runLoadtest<S>(
  script: string,
  args: string[],
  { core = 1, done, timeoutMs }: { core?: number; done: (stats: S) => boolean; timeoutMs: number },
): Promise<LoadtestRun<S>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-loadtest-"));
  const statsFile = path.join(dir, "stats.json");
  const logFile = path.join(dir, "loadtest.log");
  const command = ["taskset", "-c", String(core), NODE, "--import", "tsx", script, ...args, "--stats", statsFile, "--output", logFile]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
    .join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: ROOT, stdio: "ignore", detached: true });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + timeoutMs;
  let stats: S | undefined;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        stats = JSON.parse(fs.readFileSync(statsFile, "utf8")) as S;
      } catch {
        stats = undefined;
      }
      if (stats && done(stats)) break;
      if (child.exitCode !== null || Date.now() > deadline) break;
    }
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    // `script` runs the bots in a session of their own, out of reach of the group
    // signal above; the stats path in their arguments is unique to this run.
    spawnSync("pkill", ["-KILL", "-f", statsFile]);
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
  fs.rmSync(dir, { recursive: true, force: true });
  if (!stats) throw new Error(`${script} wrote no stats:\n${log.slice(-2000)}`);
  const connected = Number(/Successful connections: (\d+)/.exec(log)?.[1] ?? NaN);
  const failed = Number(/Failed connections: (\d+)/.exec(log)?.[1] ?? NaN);
  return { stats, connected, failed };
}
