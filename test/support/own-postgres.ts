import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./server";

/**
 * A Postgres server of the test's own, in a temporary directory on a free port, that
 * the test may stop and start as it likes (the shared one is never touched). Postgres
 * refuses to run as root, so when the test runs as root the server runs as the
 * `postgres` OS user. Data is not fsynced: nothing here needs to survive a crash.
 */
export interface OwnPostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:port/postgres`. */
  url: string;
  /** Stops the server (fast shutdown: sessions are terminated with 57P01, as on a real stop). */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

const BIN = (() => {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => path.join(root, v, "bin")).find((dir) => fs.existsSync(path.join(dir, "pg_ctl")));
  return found;
})();

/** True where the test can run a Postgres of its own (its binaries are installed). */
export const canRunOwnPostgres = () => BIN !== undefined;

export async function startOwnPostgres(): Promise<OwnPostgres> {
  if (!BIN) throw new Error("no Postgres binaries under /usr/lib/postgresql");
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-own-pg-"));
  const data = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  const command = (tool: string, args: string[]): [string, string[]] => {
    const file = path.join(BIN!, tool);
    return asRoot ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
  };
  const run = async (tool: string, args: string[]) => {
    await promisify(execFile)(...command(tool, args));
  };
  await run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = () => run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "-t", "30", "start"]);
  const stop = () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"]);
  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    dispose: async () => {
      await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"]).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
