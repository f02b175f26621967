import { parseArgs } from "node:util";
import { defineRoom, defineServer, LocalPresence, Room, type Client } from "@colyseus/core";
import { Encoder, StateView } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { InterestGrid } from "./interest-grid";
import { writeJsonAtomic } from "../lib/stats-file";
import { FilteredZoneState, Player, ZoneState } from "../../rooms/world-zone/state";

/**
 * The physical reference of the world benchmark: a bare Colyseus 0.18 room doing the
 * world zone's movement on the same state schema, tick rate, step clamp and bounds,
 * with no database, auth, events or validation. `--radius 0` broadcasts one patch to
 * everyone; `--radius R` gives every client its own StateView over a grid of cell R
 * (the naive interest management the product must beat).
 *
 * `--floor` keeps no players at all: it reads every move as the others do, drops it, and
 * each tick broadcasts a patch carrying only the tick number. What its tick costs is the
 * least any zone pays on this machine to hand each of its clients a patch 20 times a
 * second (the WebSocket frames and the kernel's send of each), whatever it simulates.
 *
 *   npx tsx loadtest/reference/bare-world.ts --port 2568 --radius 100 --stats ref.json [--floor]
 */

const { values } = parseArgs({
  strict: false,
  options: { port: { type: "string" }, radius: { type: "string" }, stats: { type: "string" }, floor: { type: "boolean" } },
});
const FLOOR = values.floor === true;
const PORT = Number(values.port ?? 2568);
const RADIUS = Number(values.radius ?? 0);
const TICK_RATE = 20;
const WIDTH = 1000;
const HEIGHT = 1000;
const MAX_STEP = 5;
const MAX_CLIENTS = 2000;

/** Tick durations in 0.1 ms buckets, cumulative, read by the benchmark like the product's histogram. */
const ticks = { total: 0, tenthsOfMs: new Array<number>(5001).fill(0) };
if (typeof values.stats === "string") {
  const file = values.stats;
  setInterval(() => writeJsonAtomic(file, { at: Date.now(), ...ticks }), 1000).unref();
}

interface Seat {
  player: Player;
  x: number;
  y: number;
  dx: number;
  dy: number;
  seq: number;
  pending: boolean;
  view?: StateView;
}

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));
Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, MAX_CLIENTS * 160);

class BareWorldRoom extends Room<{ state: ZoneState }> {
  maxClients = MAX_CLIENTS;
  private readonly seats = new Map<string, Seat>();
  private grid?: InterestGrid<Seat>;

  onCreate() {
    this.state = RADIUS > 0 ? new FilteredZoneState() : new ZoneState();
    if (RADIUS > 0) {
      this.grid = new InterestGrid<Seat>(RADIUS, WIDTH, HEIGHT, {
        enter: (a, b) => {
          a.view!.add(b.player);
          b.view!.add(a.player);
        },
        leave: (a, b) => {
          a.view!.remove(b.player);
          b.view!.remove(a.player);
        },
      });
    }
    this.setFixedTimestep(() => this.tick(), TICK_RATE);
    this.setPatchRate(null);
    this.onMessage("move", (client: Client, msg: { dx: number; dy: number; seq: number }) => {
      const seat = this.seats.get(client.sessionId);
      if (!seat || FLOOR) return;
      seat.dx += msg.dx;
      seat.dy += msg.dy;
      seat.seq = msg.seq;
      seat.pending = true;
    });
  }

  onJoin(client: Client) {
    const player = new Player().assign({ character_id: client.sessionId, name: "bare", class: "walker" });
    const seat: Seat = { player, x: 0, y: 0, dx: 0, dy: 0, seq: 0, pending: false };
    this.seats.set(client.sessionId, seat);
    if (!FLOOR) this.state.players.set(client.sessionId, player);
    if (this.grid) {
      seat.view = client.view = new StateView();
      seat.view.add(player);
      this.grid.insert(seat, 0, 0);
    }
    client.send("welcome", { session_id: client.sessionId, x: 0, y: 0, width: WIDTH, height: HEIGHT, tick_rate: TICK_RATE });
  }

  onLeave(client: Client) {
    const seat = this.seats.get(client.sessionId);
    if (!seat) return;
    this.grid?.remove(seat);
    seat.view?.dispose();
    this.seats.delete(client.sessionId);
    this.state.players.delete(client.sessionId);
  }

  private tick() {
    const started = performance.now();
    this.state.tick++;
    for (const seat of this.seats.values()) {
      if (!seat.pending) continue;
      let { dx, dy } = seat;
      seat.dx = seat.dy = 0;
      seat.pending = false;
      const length = Math.hypot(dx, dy);
      if (length > MAX_STEP) {
        dx *= MAX_STEP / length;
        dy *= MAX_STEP / length;
      }
      seat.player.seq = seat.seq;
      const x = clamp(seat.x + dx, 0, WIDTH);
      const y = clamp(seat.y + dy, 0, HEIGHT);
      if (x === seat.x && y === seat.y) continue;
      seat.x = seat.player.x = x;
      seat.y = seat.player.y = y;
      this.grid?.move(seat, x, y);
    }
    this.broadcastPatch();
    ticks.total++;
    ticks.tenthsOfMs[Math.min(5000, Math.round((performance.now() - started) * 10))]++;
  }
}

const server = defineServer({
  rooms: { bare_world: defineRoom(BareWorldRoom) },
  presence: new LocalPresence(),
  transport: new WebSocketTransport(),
  greet: false,
});
void server.listen(PORT).then(() => process.stdout.write(`bare world listening on ${PORT}\n`));
