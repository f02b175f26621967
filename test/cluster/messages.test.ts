import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, startNode, type Player } from "../support/cluster";
import type { ServerProcess } from "../support/process";

interface Live {
  room: Room<any>;
  messages: { id: string; content: string }[];
}

async function join(server: ServerProcess, user: Player, name: "inbox" | "dm_channel", options: Record<string, unknown> = {}): Promise<Live> {
  const room = await connect(server, user.token).joinOrCreate(name, options);
  const live: Live = { room, messages: [] };
  room.onMessage("*", (type: string | number, data: any) => {
    if (type === "message") live.messages.push(data);
  });
  return live;
}

const send = (server: ServerProcess, from: Player, to: Player, content: string) =>
  api("POST", "/api/v1/messages/dm", { base: server.url, token: from.token, body: { recipient_id: to.id, content } });

/** The pair's history, oldest first, as REST on `server` returns it. */
async function stored(server: ServerProcess, reader: Player, peer: Player): Promise<string[]> {
  const res = await api("GET", `/api/v1/messages/dm/${peer.id}?limit=100`, { base: server.url, token: reader.token });
  assert.equal(res.status, 200);
  return res.body.items.map((m: { content: string }) => m.content).reverse();
}

describe("direct messages across processes", function () {
  let backend: Backend;
  let a: ServerProcess;
  let b: ServerProcess;
  const rooms: Room[] = [];

  before(async function () {
    backend = await clusterBackend();
    [a, b] = await Promise.all([startNode(backend), startNode(backend)]);
  });

  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await backend?.dispose();
  });

  it("a REST send on one process reaches the recipient's inbox living on the other, every message in stored order", async () => {
    const [alice, bob] = await Promise.all([newPlayer(a.url, clusterName("dma")), newPlayer(b.url, clusterName("dmb"))]);
    const inbox = await join(b, bob, "inbox");
    rooms.push(inbox.room);
    const sender = hostOf(inbox.room, [a, b]) === a ? b : a;

    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => send(sender, alice, bob, `n${i}`).then((r) => r.status)));
    assert.deepEqual(new Set(statuses), new Set([201]));

    await eventually(() => inbox.messages.length >= 30, "30 messages in the inbox", 10_000);
    assert.deepEqual(
      inbox.messages.map((m) => m.content),
      await stored(sender, bob, alice),
    );
  });

  it("a dm_channel joined through different processes is one room: each side gets the other's message, and the inbox too", async () => {
    const [alice, bob] = await Promise.all([newPlayer(a.url, clusterName("dca")), newPlayer(b.url, clusterName("dcb"))]);
    const aliceSide = await join(a, alice, "dm_channel", { peer_id: bob.id });
    rooms.push(aliceSide.room);
    const host = hostOf(aliceSide.room, [a, b]);
    // Bob matchmakes on the process the room does not live on.
    const bobSide = await join(host === a ? b : a, bob, "dm_channel", { peer_id: alice.id });
    rooms.push(bobSide.room);
    const bobInbox = await join(host === a ? b : a, bob, "inbox");
    rooms.push(bobInbox.room);
    assert.equal(bobSide.room.roomId, aliceSide.room.roomId);

    aliceSide.room.send("message", { content: "over the channel" });
    const viaRoom = await eventually(() => bobSide.messages.find((m) => m.content === "over the channel"), "bob's channel side gets it");
    await eventually(() => aliceSide.messages.find((m) => m.id === viaRoom.id), "alice's echo");
    await eventually(() => bobInbox.messages.find((m) => m.id === viaRoom.id), "bob's inbox gets it");

    assert.equal((await send(host, bob, alice, "over REST")).status, 201);
    await eventually(() => aliceSide.messages.find((m) => m.content === "over REST"), "alice's side gets bob's REST send");
    assert.deepEqual(await stored(a, alice, bob), ["over the channel", "over REST"]);
  });
});
