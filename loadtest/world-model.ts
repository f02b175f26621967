import { parseArgs } from "node:util";
import { Encoder } from "@colyseus/schema";
import { FAR_INTERVAL, Interest, type Member } from "../rooms/world-zone/interest";
import { FilteredZoneState, Player } from "../rooms/world-zone/state";
import { percentile } from "./lib/table";

/**
 * An offline model of the world zone's interest management: the room's own Interest,
 * state classes and schema encoder, driven by walkers that move as the benchmark's
 * bots do (one 5-unit step toward a random waypoint every other tick), with no
 * sockets and no bot process to saturate. It answers "how many bytes per client, and
 * how much tick time, would this design cost at N players?" in seconds, which is how
 * the design in interest.ts was chosen; the benchmark (world-bench.ts) then measures
 * it for real.
 *
 *   npx tsx loadtest/world-model.ts [--players 1000] [--radius 100] [--seconds 60] [--far-interval 4]
 */

const { values } = parseArgs({
  options: {
    players: { type: "string", default: "1000" },
    radius: { type: "string", default: "100" },
    seconds: { type: "string", default: "60" },
    "far-interval": { type: "string", default: String(FAR_INTERVAL) },
  },
});
const PLAYERS = Number(values.players);
const RADIUS = Number(values.radius);
const TICKS = Number(values.seconds) * 20;
const SIZE = 1000;
const STEP = 5;
/** Walkers start spread out; the first fifth of the run lets them settle into the waypoint model's density. */
const WARM_UP = Math.floor(TICKS / 5);

interface Walker extends Member {
  target: { x: number; y: number };
  phase: number;
  seq: number;
  bytes: number;
}

// A fixed seed (Park–Miller), so two runs of one design compare like with like.
let seed = 1;
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const point = () => ({ x: random() * SIZE, y: random() * SIZE });

const state = new FilteredZoneState();
const encoder = new Encoder(state);
Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, PLAYERS * 160);
const FAR = Number(values["far-interval"]);
const interest = new Interest<Walker>(RADIUS, SIZE, SIZE, { farInterval: FAR });
const walkers: Walker[] = [];
for (let i = 0; i < PLAYERS; i++) {
  const { x, y } = point();
  const id = crypto.randomUUID();
  const walker: Walker = { player: new Player().assign({ character_id: id, name: `walker-${i}`, class: "warrior", x, y }), x, y, target: point(), phase: i % 2, seq: 0, bytes: 0 };
  state.players.set(id, walker.player);
  interest.join(walker);
  walkers.push(walker);
}

const tickMs: number[] = [];
// CPU time, unlike wall time, holds still on a machine other processes share.
let cpuAtWarmUp = process.cpuUsage();
for (let tick = 0; tick < TICKS; tick++) {
  if (tick === WARM_UP) cpuAtWarmUp = process.cpuUsage();
  const started = performance.now();
  state.tick++;
  for (const w of walkers) {
    if (tick % 2 !== w.phase) continue;
    let dx = w.target.x - w.x;
    let dy = w.target.y - w.y;
    const distance = Math.hypot(dx, dy);
    if (distance < STEP) w.target = point();
    if (distance > STEP) {
      dx = (dx / distance) * STEP;
      dy = (dy / distance) * STEP;
    }
    w.x = w.player.x = w.x + dx;
    w.y = w.player.y = w.y + dy;
    w.player.seq = ++w.seq;
    interest.moved(w, true, true);
  }
  interest.update(() => true);
  const measured = tick >= WARM_UP;
  interest.sendPatches(encoder, 15, {
    receives: () => true,
    send: (w, _patch, length) => void (measured && (w.bytes += length)),
  });
  if (measured) tickMs.push(performance.now() - started);
}

const cpu = process.cpuUsage(cpuAtWarmUp);
const seconds = (TICKS - WARM_UP) / 20;
const bytes = walkers.reduce((sum, w) => sum + w.bytes, 0);
process.stdout.write(
  JSON.stringify({
    players: PLAYERS,
    radius: RADIUS,
    far_interval: FAR,
    kb_per_client_second: +(bytes / PLAYERS / seconds / 1024).toFixed(2),
    tick_ms_p50: +percentile(tickMs, 50)!.toFixed(2),
    tick_ms_p99: +percentile(tickMs, 99)!.toFixed(2),
    cpu_ms_per_tick: +((cpu.user + cpu.system) / 1000 / (TICKS - WARM_UP)).toFixed(2),
  }) + "\n",
);
