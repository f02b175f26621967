import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { NODE, ROOT } from "./proc";
import { readStatsFile, readStatsFilePatiently, StatsFileError } from "./stats-file";
import { isFleetSnapshot, mergeSnapshots, type FleetSnapshot } from "./world-stats";
import type { BotCredentials } from "./world-setup";

/** What loadtest/world.ts sends per bot: one move every 100 ms. */
export const MOVES_PER_SECOND = 10;

export interface FleetOptions {
  endpoint: string;
  roomName: string;
  clients: number;
  /** Bot processes the clients are spread over, all pinned to `core`. */
  processes: number;
  /**
   * Bots that decode the state and measure latency, in a process of their own; the rest
   * are light (loadtest/world.ts --light). Every bot decodes when this is at least `clients`.
   */
  watchers: number;
  core: number;
  /** Directory for the stats, logs and credentials of this fleet. */
  dir: string;
  /** One entry per client (the product); none for the bare reference. */
  credentials?: (BotCredentials | null)[];
}

/**
 * Bot processes running loadtest/world.ts: the watchers in one, the light bots split
 * evenly between the others. Each writes its own stats file; the fleet reads them all
 * and adds them up.
 */
export class Fleet {
  private readonly files: string[] = [];
  private readonly children: ChildProcess[] = [];
  /** Bot pids by the stats file they write, which is unique to this fleet. */
  private readonly pids = new Map<number, string>();

  constructor(private readonly o: FleetOptions) {}

  start(): void {
    const { o } = this;
    for (const [i, { first, count, light }] of splitFleet(o).entries()) {
      const stats = path.join(o.dir, `bots-${o.roomName}-${i}.json`);
      rmSync(stats, { force: true });
      const args = ["--endpoint", o.endpoint, "--room", o.roomName, "--numClients", String(count), "--stats", stats, "--output", path.join(o.dir, `bots-${o.roomName}-${i}.log`)];
      if (light) args.push("--light");
      if (o.credentials) {
        const file = path.join(o.dir, `credentials-${i}.json`);
        writeFileSync(file, JSON.stringify(o.credentials.slice(first, first + count)));
        args.push("--credentials", file);
      } else {
        args.push("--bare");
      }
      const command = ["taskset", "-c", String(o.core), NODE, "--import", "tsx", "loadtest/world.ts", ...args]
        .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
        .join(" ");
      // @colyseus/loadtest draws a terminal UI and needs a TTY; its own process group so it can be stopped whole.
      this.children.push(spawn("script", ["-qec", command, "/dev/null"], { cwd: ROOT, stdio: ["pipe", "ignore", "ignore"], detached: true }));
      this.files.push(stats);
    }
  }

  /** True once every bot process has exited. */
  get gone(): boolean {
    return this.children.every((c) => c.exitCode !== null || c.signalCode !== null);
  }

  /** The fleet so far, or undefined while some process has not reported yet; a malformed file throws. */
  peek(): FleetSnapshot | undefined {
    const snapshots: FleetSnapshot[] = [];
    for (const file of this.files) {
      try {
        snapshots.push(this.remember(file, readStatsFile(file, isFleetSnapshot)));
      } catch (err) {
        if (err instanceof StatsFileError && err.reason === "missing") return undefined;
        throw err;
      }
    }
    return mergeSnapshots(snapshots);
  }

  /** The fleet now; throws a StatsFileError naming the file if a process has not reported within a few seconds. */
  async read(): Promise<FleetSnapshot> {
    const snapshots = await Promise.all(this.files.map(async (f) => this.remember(f, await readStatsFilePatiently(f, isFleetSnapshot))));
    return mergeSnapshots(snapshots);
  }

  /**
   * Stops every bot process: the `script` groups, and each bot by the pid it reported,
   * since `script` runs its command in a session of its own.
   */
  stop(): void {
    for (const child of this.children) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const [pid, file] of this.pids) {
      try {
        // Only if that pid is still our bot: a pid is reused once its process is gone.
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(file)) process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  private remember(file: string, s: FleetSnapshot): FleetSnapshot {
    this.pids.set(s.pid, file);
    return s;
  }
}

/** The bot processes of a fleet: which clients each runs, and whether they are light. */
export function splitFleet(o: Pick<FleetOptions, "clients" | "processes" | "watchers">): { first: number; count: number; light: boolean }[] {
  const watchers = Math.min(Math.max(0, o.watchers), o.clients);
  // `count` clients from `start` on, evenly over at most o.processes processes.
  const spread = (start: number, count: number, light: boolean) => {
    const processes = Math.max(1, Math.min(o.processes, count));
    return Array.from({ length: processes }, (_, i) => {
      const first = start + Math.floor((count * i) / processes);
      return { first, count: start + Math.floor((count * (i + 1)) / processes) - first, light };
    });
  };
  if (watchers === o.clients) return spread(0, o.clients, false);
  return [...(watchers > 0 ? [{ first: 0, count: watchers, light: false }] : []), ...spread(watchers, o.clients - watchers, true)];
}
