import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import type { Backend } from "../support/backend";
import { clusterBackend, connect, eventually, newPlayers, startNode, type Player } from "../support/cluster";
import type { ServerProcess } from "../support/process";

type Outcome = { room: Room<any>; mostSeen: () => number } | { error: { code: number; message: string } };

/** Fires every join at once, alternating between the processes, and collects what each got. */
async function joinAll(servers: ServerProcess[], players: Player[]): Promise<Outcome[]> {
  return Promise.all(
    players.map(async (player, i): Promise<Outcome> => {
      try {
        const room = await connect(servers[i % servers.length], player.token).joinOrCreate("world_zone", { character_id: player.characterId });
        room.onMessage("*", () => {});
        let most = 0;
        room.onStateChange((state: any) => (most = Math.max(most, state.players?.size ?? 0)));
        return { room, mostSeen: () => most };
      } catch (err) {
        const { code, message } = err as { code: number; message: string };
        return { error: { code, message } };
      }
    }),
  );
}

const rooms = (outcomes: Outcome[]) => outcomes.flatMap((o) => ("room" in o ? [o.room] : []));
const errors = (outcomes: Outcome[]) => outcomes.flatMap((o) => ("error" in o ? [o.error] : []));

describe("a crowded zone across two processes", function () {
  let backend: Backend;
  let players: Player[];
  const started: ServerProcess[] = [];
  let joined: Room[] = [];

  before(async function () {
    backend = await clusterBackend();
    // Users live in the shared database: created once, played on each test's own processes.
    const servers = await Promise.all([startNode(backend), startNode(backend)]);
    players = await newPlayers(servers.map((s) => s.url), 200, "crowd");
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function pair(env: Record<string, string> = {}) {
    const servers = await Promise.all([startNode(backend, env), startNode(backend, env)]);
    started.push(...servers);
    return servers;
  }

  afterEach(async () => {
    await Promise.all(joined.splice(0).map((r) => r.leave().catch(() => undefined)));
    await Promise.all(started.splice(0).map((p) => p.stop("SIGKILL")));
  });

  after(async () => backend?.dispose());

  it("200 clients joining one zone at once through both processes all get into the same room", async () => {
    const servers = await pair();
    const outcomes = await joinAll(servers, players);
    joined = rooms(outcomes);
    assert.deepEqual(errors(outcomes), []);
    assert.equal(new Set(joined.map((r) => r.roomId)).size, 1, "one room for the zone");
    await eventually(() => joined.every((r) => r.state.players?.size === 200), "every client sees all 200 players", 15_000);
  });

  it("80 joins at once into a zone of WORLD_MAX_CLIENTS=50 seat exactly 50 in one room and refuse the rest with 503 zone_full", async () => {
    const servers = await pair({ WORLD_MAX_CLIENTS: "50" });
    const outcomes = await joinAll(servers, players.slice(0, 80));
    joined = rooms(outcomes);
    assert.equal(joined.length, 50);
    assert.equal(new Set(joined.map((r) => r.roomId)).size, 1, "never a second room for the zone");
    assert.deepEqual(
      errors(outcomes).map((e) => [e.code, e.message]),
      Array.from({ length: 30 }, () => [503, "zone_full"]),
    );
    await eventually(() => joined.every((r) => r.state.players?.size === 50), "the 50 seated players in every client's state");
    const mostSeen = Math.max(...outcomes.map((o) => ("room" in o ? o.mostSeen() : 0)));
    assert.equal(mostSeen, 50, "no client ever saw more than 50 players in the zone");
  });
});
