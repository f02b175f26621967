import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { freePort } from "./server";

/**
 * A redis-server of the test's own, on a free port, keeping nothing on disk (like the
 * deployment this models): a test may kill and restart it without touching the shared
 * Redis other tests use. A restart comes back empty.
 */
export interface OwnRedis {
  url: string;
  /** Kills the server (SIGKILL) and resolves once it is gone. */
  kill: () => Promise<void>;
  /** Starts it again on the same port, empty; resolves once it accepts connections. */
  start: () => Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error("redis-server did not start within 10 s");
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}/0`, kill, start };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
