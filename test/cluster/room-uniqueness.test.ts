import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, startNode } from "../support/cluster";
import type { ServerProcess } from "../support/process";

/** One live room per routing key, across processes, whichever SDK call races to make it. */
describe("one room per key across processes", function () {
  let backend: Backend;
  let a: ServerProcess;
  let b: ServerProcess;
  const rooms: Room[] = [];

  before(async function () {
    backend = await clusterBackend();
    [a, b] = await Promise.all([startNode(backend), startNode(backend)]);
  });

  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => (r.connection.isOpen ? r.leave().catch(() => undefined) : undefined)));
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await backend?.dispose();
  });

  const keep = (room: Room) => {
    room.onMessage("*", () => undefined);
    rooms.push(room);
    return room;
  };

  it("20 create() calls for one user's inbox through two processes at once make one room", async () => {
    const user = await newPlayer(a.url, clusterName("uniq"));
    const joins = Array.from({ length: 20 }, (_, i) => connect(i % 2 ? a : b, user.token).create("inbox", {}));
    const joined = (await Promise.all(joins)).map(keep);
    assert.equal(new Set(joined.map((r) => r.roomId)).size, 1, "one inbox room");
    assert.equal(new Set(joined.map((r) => hostOf(r, [a, b]).port)).size, 1, "on one process");
  });

  it("create() and joinOrCreate() racing for one world zone through two processes make one room", async () => {
    const players = await Promise.all(Array.from({ length: 6 }, () => newPlayer(a.url, clusterName("zone"))));
    const joins = players.map((p, i) =>
      i % 2 ? connect(i % 3 ? a : b, p.token).create("world_zone", { character_id: p.characterId }) : connect(i % 3 ? b : a, p.token).joinOrCreate("world_zone", { character_id: p.characterId }),
    );
    const joined = (await Promise.all(joins)).map(keep);
    assert.equal(new Set(joined.map((r) => r.roomId)).size, 1);
  });

  it("joinById through the other process into someone else's inbox is refused with 403", async () => {
    const [owner, intruder] = await Promise.all([newPlayer(a.url, clusterName("own")), newPlayer(b.url, clusterName("int"))]);
    const inbox = keep(await connect(a, owner.token).joinOrCreate("inbox", {}));
    const host = hostOf(inbox, [a, b]);
    const other = host === a ? b : a;
    await assert.rejects(connect(other, intruder.token).joinById(inbox.roomId, {}), (err: { code?: number }) => err.code === 403);
    const again = keep(await connect(other, owner.token).joinById(inbox.roomId, {}));
    assert.equal(again.roomId, inbox.roomId);
    await eventually(() => inbox.state.user_id === owner.id, "the owner's inbox");
  });
});
