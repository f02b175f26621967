import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const TSX = path.join(ROOT, "node_modules/.bin/tsx");

export interface Started {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a TypeScript entry point pinned to `core` (taskset), with `env`, and waits
 * until `readyPath` answers 200. Used for the product and for the bare references alike,
 * so both are measured the same way.
 */
export async function startPinned(
  entry: string,
  env: Record<string, string>,
  { core = 0, readyPath = "/readyz", timeoutMs = 60_000 } = {},
): Promise<Started> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn("taskset", ["-c", String(core), TSX, entry], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(url + readyPath)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${entry} not ready after ${timeoutMs} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    port,
    pid: child.pid!,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** Production-like settings every benchmarked server shares. */
export const BENCH_ENV: Record<string, string> = {
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123456789",
  PAYMENT_WEBHOOK_SECRET: "bench-webhook-secret-0123456789",
  RATE_LIMIT_AUTH_PER_MINUTE: "100000000",
  METRICS_TOKEN: "bench-metrics-token",
};
