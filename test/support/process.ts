import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TEST_ENV } from "./backend";
import { freePort } from "./server";

const ROOT = path.resolve(__dirname, "../..");

export interface ServerProcess {
  port: number;
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Sends `signal` and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts the real product (`index.ts`) as a separate process with `env` on top of the
 * test defaults, for tests that need another configuration, a restart or a second
 * process. Resolves once `/readyz` answers 200. Unless `env` names a database
 * (`DATABASE_URL` or `DATA_DIR`), the process gets an embedded data directory of its own.
 */
export async function startServerProcess(env: Record<string, string> = {}, timeoutMs = 90_000): Promise<ServerProcess> {
  if ("DATABASE_URL" in env || "DATA_DIR" in env) return launch(env, timeoutMs);
  const dataDir = await embeddedDataDirs.fresh();
  const server = await launch({ DATABASE_URL: "", DATA_DIR: dataDir, ...env }, timeoutMs);
  // About 40 MB each: removed with its process, not kept until the mocha run ends.
  server.child.once("exit", () => fs.rmSync(dataDir, { recursive: true, force: true }));
  return server;
}

/**
 * Data directories for server processes that name no database: each a copy of one the
 * product itself set up once per mocha process (started on it, migrated, stopped
 * gracefully). An empty embedded database costs seconds of PGlite's initdb, in WASM, at
 * every start, and the suite starts dozens of these processes on each backend. A copy is
 * the embedded default `npm start` runs on, already migrated. What is left (the template,
 * a copy whose server never started) is removed when the mocha process exits.
 */
class EmbeddedDataDirs {
  private root?: string;
  private template?: Promise<string>;
  private made = 0;

  async fresh(): Promise<string> {
    const template = await (this.template ??= this.prepare());
    const dir = path.join(this.rootDir(), `server-${++this.made}`);
    fs.cpSync(template, dir, { recursive: true });
    return dir;
  }

  private rootDir(): string {
    if (!this.root) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-process-data-"));
      process.once("exit", () => fs.rmSync(root, { recursive: true, force: true }));
      this.root = root;
    }
    return this.root;
  }

  private async prepare(): Promise<string> {
    const dir = path.join(this.rootDir(), "template");
    const server = await launch({ DATABASE_URL: "", DATA_DIR: dir }, 90_000);
    const code = await server.stop("SIGTERM");
    if (code !== 0) throw new Error(`the server that set up the template data directory exited with ${code}:\n${server.output()}`);
    return dir;
  }
}

const embeddedDataDirs = new EmbeddedDataDirs();

async function launch(env: Record<string, string>, timeoutMs: number): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  // Node itself with tsx's loader, not the tsx CLI: the CLI runs the server as its own
  // child, so a SIGKILL would kill only the CLI and leave the server running orphaned.
  const child = spawn(process.execPath, ["--import", "tsx", "index.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...TEST_ENV, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server process exited with ${child.exitCode}:\n${output}`);
    try {
      // Bounded: a server whose start blocks its event loop must not hold this loop past its deadline.
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server process not ready after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    port,
    url,
    child,
    output: () => output,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
