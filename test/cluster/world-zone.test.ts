import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, positionIn, startNode, type Player } from "../support/cluster";
import type { ServerProcess } from "../support/process";

/** Joins the player's zone through `server`, ignoring the room's messages (welcome, said...). */
async function joinZone(server: ServerProcess, player: Player): Promise<Room<any>> {
  const room = await connect(server, player.token).joinOrCreate("world_zone", { character_id: player.characterId });
  room.onMessage("*", () => {});
  return room;
}

describe("world_zone across processes", function () {
  let backend: Backend;
  let a: ServerProcess;
  let b: ServerProcess;
  const rooms: Room[] = [];

  before(async function () {
    backend = await clusterBackend();
    // No periodic save: only leaving and shutdown persist a position here.
    const env = { WORLD_SAVE_INTERVAL: "3600" };
    [a, b] = await Promise.all([startNode(backend, env), startNode(backend, env)]);
  });

  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await backend?.dispose();
  });

  it("a client matchmaking on one process into the zone room living on the other plays there and sees its players move", async () => {
    const [onB, onA] = await Promise.all([newPlayer(b.url, clusterName("wzb")), newPlayer(a.url, clusterName("wza"))]);
    const roomB = await joinZone(b, onB);
    rooms.push(roomB);
    // The matchmaker creates a room on the least loaded process, not necessarily on B.
    const other = hostOf(roomB, [a, b]) === a ? b : a;
    const roomA = await joinZone(other, onA);
    rooms.push(roomA);

    assert.equal(roomA.roomId, roomB.roomId, "one room per zone, whichever process matchmade");
    await eventually(() => positionIn(roomA, onB.characterId), "B's player in A's client state");
    roomB.send("move", { dx: 3, dy: 4 });
    await eventually(() => positionIn(roomA, onB.characterId)?.x === 3 && positionIn(roomA, onB.characterId)?.y === 4, "B's move seen by A's client");

    roomA.send("move", { dx: 0, dy: 5 });
    await eventually(() => positionIn(roomA, onA.characterId)?.y === 5, "A's own move applied by the room on B");
  });

  it("players joined through A and through B see each other move in one shared zone", async () => {
    const players = await Promise.all(
      [a, b, a, b].map((server, i) => newPlayer(server.url, clusterName(`wzs${i}`)).then((p) => ({ server, p }))),
    );
    const joined = await Promise.all(players.map(({ server, p }) => joinZone(server, p)));
    rooms.push(...joined);
    assert.equal(new Set(joined.map((r) => r.roomId)).size, 1);

    joined.forEach((room, i) => room.send("move", { dx: i + 1, dy: 0 }));
    for (const room of joined) {
      for (const [i, { p }] of players.entries()) {
        await eventually(() => positionIn(room, p.characterId)?.x === i + 1, `player ${i}'s move in every client's state`);
      }
    }
  });

  it("a SIGTERM saves every moved position before the process exits, readable through the other process", async () => {
    const player = await newPlayer(a.url, clusterName("wzt"));
    const room = await joinZone(b, player);
    room.send("move", { dx: 4, dy: 3 });
    await eventually(() => positionIn(room, player.characterId)?.x === 4, "the move applied");

    const host = hostOf(room, [a, b]);
    const survivor = host === a ? b : a;
    assert.equal(await host.stop("SIGTERM"), 0);
    const character = await api("GET", `/api/v1/characters/${player.characterId}`, { base: survivor.url, token: player.token });
    assert.equal(character.status, 200);
    assert.deepEqual(character.body.position, { x: 4, y: 3 });
  });
});
