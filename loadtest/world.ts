import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { cli, type Options } from "@colyseus/loadtest";
import { Client, registerSerializer, type Room } from "@colyseus/sdk";
import { setUpBot, type BotCredentials } from "./lib/world-setup";
import { FleetStats } from "./lib/world-stats";

/**
 * World-zone load: each bot joins its character's zone and moves 10 times a second,
 * measuring the time from sending a `seq` until its own Player.seq in the state
 * reaches it. It walks from one random waypoint to the next at full speed, so a fleet
 * that starts piled at (0, 0) spreads over the zone and keeps crossing AOI cells.
 *
 *   npx tsx loadtest/world.ts --endpoint ws://localhost:2567 --room world_zone --numClients 100 \
 *     [--credentials bots.json] [--stats stats.json] [--bare] [--light]
 *
 * Without --credentials a bot registers, logs in and creates its character over REST
 * itself; with it, bot N takes entry N of that JSON array ({token, character_id}).
 * --bare targets the bare reference (loadtest/reference/bare-world.ts): no REST, no auth.
 *
 * --light bots receive every patch but never decode one: they count its bytes, steer by
 * their own reckoning and measure no latency. Decoding is most of what a bot costs, so
 * a light fleet can drive a server with as many clients as it has, on one core; the
 * server does exactly the same work for either kind. A few watching (decoding) bots
 * beside them measure latency (loadtest/lib/world-fleet.ts).
 */

/** 10 moves a second; the benchmark compares the moves sent against it (MOVES_PER_SECOND in world-fleet.ts). */
const MOVE_INTERVAL_MS = 100;
const STRIDE = 10;
/** The longest step either server takes from one move (WORLD_MAX_STEP's default, bare-world's MAX_STEP). */
const SERVER_MAX_STEP = 5;

const { values: args } = parseArgs({
  strict: false,
  options: { credentials: { type: "string" }, stats: { type: "string" }, bare: { type: "boolean" }, light: { type: "boolean" } },
});
const light = args.light === true;
const credentials: (BotCredentials | null)[] | undefined =
  typeof args.credentials === "string" ? JSON.parse(readFileSync(args.credentials, "utf8")) : undefined;
const fleet = new FleetStats();
if (typeof args.stats === "string") fleet.writeEverySecond(args.stats);
// The bots that measure latency also measure how late their own process reads a patch.
if (!light) fleet.sampleLag();

interface Welcome {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function join(options: Options): Promise<{ room: Room; key: string }> {
  const client = new Client(options.endpoint);
  if (args.bare) {
    const room = await client.joinOrCreate(options.roomName ?? "bare_world", {});
    return { room, key: room.sessionId };
  }
  const bot = credentials
    ? credentials[options.clientId]
    : await setUpBot(options.endpoint.replace(/^ws/, "http"), String(options.clientId));
  if (!bot) throw new Error(`bot ${options.clientId}: no credentials`);
  client.auth.token = bot.token;
  const room = await client.joinOrCreate(options.roomName ?? "world_zone", { character_id: bot.character_id });
  return { room, key: bot.character_id };
}

/** The state serializer of a light bot: takes every state and patch, decodes none. */
class PatchCounter {
  private readonly state = {};
  setState(): void {}
  getState(): object {
    return this.state;
  }
  patch(): void {}
  teardown(): void {}
  handshake(): void {}
}

if (light) registerSerializer("schema", PatchCounter);

/**
 * Where a light bot stands by its own reckoning: each move shortened to the server's
 * longest step and kept inside the zone, as the server does. Without the shortening a
 * bot would believe itself twice as far as it is, and the fleet would crowd the
 * quarter of the zone nearest its start (walker() says the same of decoding bots).
 */
function reckoner(welcome: Welcome) {
  const at = { x: welcome.x, y: welcome.y };
  return {
    position: () => at,
    moved: ({ dx, dy }: { dx: number; dy: number }) => {
      const scale = Math.min(1, SERVER_MAX_STEP / (Math.hypot(dx, dy) || 1));
      at.x = Math.min(welcome.width, Math.max(0, at.x + dx * scale));
      at.y = Math.min(welcome.height, Math.max(0, at.y + dy * scale));
    },
  };
}

/**
 * Moves toward a random waypoint, picking the next one on arrival. It steers from
 * where the server says the bot stands, as a real client reconciles: a stride the
 * server clamps would otherwise leave the bot believing it is twice as far as it is,
 * and the fleet would never leave the quarter of the zone nearest its start.
 */
function walker(welcome: Welcome, position: () => { x: number; y: number } | undefined) {
  const pick = () => ({ x: Math.random() * welcome.width, y: Math.random() * welcome.height });
  let target = pick();
  return () => {
    const { x, y } = position() ?? welcome;
    let dx = target.x - x;
    let dy = target.y - y;
    const distance = Math.hypot(dx, dy);
    if (distance < STRIDE) target = pick();
    if (distance > STRIDE) {
      dx = (dx / distance) * STRIDE;
      dy = (dy / distance) * STRIDE;
    }
    return { dx, dy };
  };
}

cli(async (options: Options) => {
  let joined: { room: Room; key: string };
  try {
    joined = await join(options);
  } catch (err) {
    fleet.failed++;
    throw err;
  }
  const { room, key } = joined;
  fleet.joined++;
  const ws = (room.connection.transport as unknown as { ws: WebSocket }).ws;
  ws.addEventListener("message", (event: MessageEvent) => {
    const data = event.data as ArrayBuffer | Uint8Array;
    fleet.bytes += data.byteLength;
  });

  // Sent seqs still waiting for a patch that shows them, oldest first.
  const pending: { seq: number; at: number }[] = [];
  room.onStateChange((state: any) => {
    fleet.patches++;
    const seq = state.players?.get(key)?.seq;
    if (seq === undefined) return;
    const now = performance.now();
    while (pending.length > 0 && pending[0].seq <= seq) fleet.recordLatency(now - pending.shift()!.at);
  });
  room.onMessage("error", (e: { code: string }) => console.error(`bot ${options.clientId}: error ${e.code}`));
  room.onMessage("said", () => {});
  room.onMessage("pong", () => {});

  let seq = 0;
  let moving: NodeJS.Timeout | undefined;
  room.onMessage("welcome", (welcome: Welcome) => {
    const reckoned = light ? reckoner(welcome) : undefined;
    const step = walker(welcome, reckoned ? reckoned.position : () => room.state.players?.get(key));
    moving = setInterval(() => {
      seq++;
      const move = step();
      reckoned?.moved(move);
      if (!light) pending.push({ seq, at: performance.now() });
      room.send("move", { ...move, seq });
      fleet.moves++;
    }, MOVE_INTERVAL_MS);
  });
  room.onLeave((code: number) => {
    fleet.left++;
    clearInterval(moving);
    console.log(`bot ${options.clientId}: left with ${code}`);
  });
});
