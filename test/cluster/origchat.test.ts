import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { closedWith, clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, type Player } from "../support/cluster";
import { startNode } from "../support/cluster";
import type { ServerProcess } from "../support/process";

/**
 * Origchat across two processes on one Postgres and Redis: the session's room is its
 * actor wherever it lives, REST turns sent to the other process are played by it, and
 * turns with no room live are serialised across processes by the lease.
 */
describe("origchat across processes", function () {
  let backend: Backend;
  let a: ServerProcess;
  let b: ServerProcess;

  before(async () => {
    backend = await clusterBackend();
    [a, b] = await Promise.all([startNode(backend), startNode(backend)]);
  });
  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await backend?.dispose();
  });

  async function session(player: Player, via: ServerProcess) {
    const story = await api("POST", "/api/v1/stories", { base: via.url, token: player.token, body: { title: "Fog", content: "Mara lit the lamps in the fog." } });
    const started = await api("POST", "/api/v1/chat/origchat/start", { base: via.url, token: player.token, body: { story_id: story.body.id } });
    assert.equal(started.status, 200);
    return { storyId: story.body.id as string, sessionId: started.body.session_id as string };
  }

  function record(room: Room<any>) {
    const seen = { deltas: [] as { turn: number; text: string }[], results: [] as any[] };
    room.onMessage("delta", (d: { turn: number; text: string }) => seen.deltas.push(d));
    room.onMessage("turn_result", (r: any) => seen.results.push(r));
    room.onMessage("*", () => undefined);
    return seen;
  }

  const turn = (via: ServerProcess, player: Player, body: Record<string, unknown>) => api("POST", "/api/v1/chat/origchat/turn", { base: via.url, token: player.token, body });

  it("a REST turn sent to the process without the session's room is played by that room", async () => {
    const player = await newPlayer(a.url, clusterName("occ"));
    const { sessionId } = await session(player, a);
    const room = await connect(b, player.token).joinOrCreate("origchat", { session_id: sessionId });
    try {
      const seen = record(room);
      const host = hostOf(room, [a, b]);
      const elsewhere = host === a ? b : a;
      const res = await turn(elsewhere, player, { session_id: sessionId, input: { type: "text", text: "Across the wire." } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.turn, 1);
      // Only the room streams: deltas reaching its client show the room played the turn.
      await eventually(() => seen.deltas.map((d) => d.text).join("") === res.body.events[1].text, "the room's deltas");
      await eventually(() => room.state.turn === 1 && room.state.events.length === 2, "the turn in the room's state");
      assert.deepEqual(room.state.pending_choices.map((c: any) => c.id), res.body.pending_choices.map((c: any) => c.id));
      const repeat = await turn(elsewhere, player, { session_id: sessionId, input: { type: "choice", choice_id: "c-nope" } });
      assert.equal(repeat.status, 409, "a refusal crosses back with its status");
      assert.equal(repeat.body.code, "invalid_choice");
    } finally {
      await room.leave();
    }
  });

  it("20 parallel turns through both processes and the room are turns 1..20 with no gap or duplicate", async () => {
    const player = await newPlayer(a.url, clusterName("occ"));
    const { sessionId } = await session(player, b);
    const room = await connect(a, player.token).joinOrCreate("origchat", { session_id: sessionId });
    try {
      const seen = record(room);
      const rest: Promise<any>[] = [];
      for (let i = 0; i < 20; i++) {
        if (i % 3 === 0) room.send("turn", { input: { type: "text", text: `room ${i}` } });
        else rest.push(turn(i % 3 === 1 ? a : b, player, { session_id: sessionId, input: { type: "text", text: `rest ${i}` } }));
      }
      const results = await Promise.all(rest);
      assert.ok(results.every((r) => r.status === 200), results.map((r) => r.status).join(","));
      await eventually(() => seen.results.length === 7, "the room's own results");
      const turns = [...results.map((r) => r.body.turn), ...seen.results.map((r) => r.turn)].sort((x, y) => x - y);
      assert.deepEqual(turns, Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      await room.leave();
    }
  });

  it("with no room live, turns sent to both processes at once are serialised across them", async () => {
    const player = await newPlayer(a.url, clusterName("occ"));
    const { sessionId } = await session(player, a);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => turn(i % 2 ? a : b, player, { session_id: sessionId, input: { type: "text", text: `step ${i}` } })));
    assert.ok(results.every((r) => r.status === 200), results.map((r) => `${r.status} ${r.body.code ?? ""}`).join(","));
    assert.deepEqual(results.map((r) => r.body.turn).sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => i + 1));
    const view = await api("GET", `/api/v1/chat/origchat/sessions/${sessionId}`, { base: b.url, token: player.token });
    assert.equal(view.body.events.length, 24);
  });

  it("deleting the story through one process closes the session's connections on the other with 4410", async () => {
    const player = await newPlayer(a.url, clusterName("occ"));
    const { storyId, sessionId } = await session(player, a);
    const room = await connect(b, player.token).joinOrCreate("origchat", { session_id: sessionId });
    room.onMessage("*", () => undefined);
    const host = hostOf(room, [a, b]);
    const closed = closedWith(room);
    assert.equal((await api("DELETE", `/api/v1/stories/${storyId}`, { base: (host === a ? b : a).url, token: player.token })).status, 204);
    assert.equal(await closed, 4410);
  });
});
