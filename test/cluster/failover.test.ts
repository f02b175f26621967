import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, positionIn, startNode } from "../support/cluster";
import type { ServerProcess } from "../support/process";

describe("one process killed with SIGKILL", function () {
  let backend: Backend;
  const started: ServerProcess[] = [];
  const rooms: Room[] = [];

  before(async function () {
    backend = await clusterBackend();
  });

  afterEach(async () => {
    // A room of a killed process never answers a leave.
    await Promise.all(rooms.splice(0).map((r) => (r.connection.isOpen ? r.leave().catch(() => undefined) : undefined)));
    await Promise.all(started.splice(0).map((p) => p.stop("SIGKILL")));
  });

  after(async () => backend?.dispose());

  async function pair(env: Record<string, string> = {}) {
    const servers = await Promise.all([startNode(backend, env), startNode(backend, env)]);
    started.push(...servers);
    return servers;
  }

  it("leaves the survivor's REST and rooms working, and the killed process's players rejoin the zone through it", async () => {
    const [a, b] = await pair();
    const [player, friend] = await Promise.all([newPlayer(a.url, clusterName("fo")), newPlayer(b.url, clusterName("fof"))]);
    const zone = await connect(a, player.token).joinOrCreate("world_zone", { character_id: player.characterId });
    zone.onMessage("*", () => {});
    const killed = hostOf(zone, [a, b]);
    const survivor = killed === a ? b : a;

    assert.equal(await killed.stop("SIGKILL"), null);

    const me = await api("GET", "/api/v1/users/me", { base: survivor.url, token: friend.token });
    assert.equal(me.status, 200);
    const inbox = await connect(survivor, friend.token).joinOrCreate("inbox", {});
    rooms.push(inbox);
    const received = new Promise<{ content: string }>((resolve) => inbox.onMessage("message", resolve));
    assert.equal((await api("POST", "/api/v1/messages/dm", { base: survivor.url, token: player.token, body: { recipient_id: friend.id, content: "still here" } })).status, 201);
    assert.equal((await received).content, "still here");

    const rejoined = await connect(survivor, player.token).joinOrCreate("world_zone", { character_id: player.characterId });
    rejoined.onMessage("*", () => {});
    rooms.push(rejoined);
    // The zone's key names the same room id; what matters is that it now lives on the survivor.
    assert.equal(hostOf(rejoined, [a, b]), survivor, "the dead room is not offered again");
    await eventually(() => positionIn(rejoined, player.characterId), "the player in the new room's state");
  });

  it("a full zone on the killed process does not refuse its players on the survivor with zone_full", async () => {
    const [a, b] = await pair({ WORLD_MAX_CLIENTS: "1" });
    const player = await newPlayer(a.url, clusterName("fz"));
    const zone = await connect(a, player.token).joinOrCreate("world_zone", { character_id: player.characterId });
    zone.onMessage("*", () => {});
    const killed = hostOf(zone, [a, b]);
    const survivor = killed === a ? b : a;

    await killed.stop("SIGKILL");

    const rejoined = await connect(survivor, player.token).joinOrCreate("world_zone", { character_id: player.characterId });
    rejoined.onMessage("*", () => {});
    rooms.push(rejoined);
    await eventually(() => positionIn(rejoined, player.characterId), "the player in the new room's state");
  });
});
