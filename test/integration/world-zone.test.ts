import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { matchMaker } from "@colyseus/core";
import { Client as SdkClient, type Room } from "@colyseus/sdk";
import { api, newUser, uniqueName, type TestUser } from "../support/api";
import { embeddedOnly } from "../support/backend";
import { startServerProcess, type ServerProcess } from "../support/process";
import { sdk } from "../support/server";
import { eventually } from "../support/eventually";

/**
 * world_zone through real SDK clients. Every character of the suite starts at (0, 0)
 * in the one configured zone, so tests only ever look at their own characters.
 */

interface Welcome {
  session_id: string;
  character_id: string;
  zone_id: string;
  tick_rate: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Joined {
  room: Room<any>;
  welcome: Promise<Welcome>;
  messages: { type: string | number; data: any }[];
  closed: Promise<number>;
}

const MAX_STEP = 5;
const WIDTH = 1000;

async function createCharacter(user: Pick<TestUser, "token">, name = "Wanderer", base?: string): Promise<string> {
  const res = await api("POST", "/api/v1/characters", { token: user.token, body: { name }, base });
  if (res.status !== 201) throw new Error(`character creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Joins and starts recording messages at once, so nothing sent on join is missed. */
async function join(client: SdkClient, options: Record<string, unknown>): Promise<Joined> {
  const room = await client.joinOrCreate("world_zone", options);
  return watch(room);
}

function watch(room: Room<any>): Joined {
  const messages: { type: string | number; data: any }[] = [];
  let resolveWelcome!: (w: Welcome) => void;
  const welcome = new Promise<Welcome>((resolve) => (resolveWelcome = resolve));
  room.onMessage("*", (type: string | number, data: any) => {
    messages.push({ type, data });
    if (type === "welcome") resolveWelcome(data);
  });
  const closed = new Promise<number>((resolve) => room.onLeave((code: number) => resolve(code)));
  return { room, welcome, messages, closed };
}


const playerIn = (joined: Joined, characterId: string) => joined.room.state.players?.get(characterId);

async function nextMessage(joined: Joined, type: string, after = 0) {
  return eventually(() => joined.messages.slice(after).find((m) => m.type === type)?.data, `a "${type}" message`);
}

async function joinFresh(prefix = "wz") {
  const user = await newUser(prefix);
  const characterId = await createCharacter(user);
  const joined = await join(sdk(user.token), { character_id: characterId });
  return { user, characterId, joined };
}

describe("world_zone room", function () {
  this.timeout(20_000);
  const open: Room<any>[] = [];
  const track = <T extends { joined: Joined }>(x: T) => (open.push(x.joined.room), x);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((room) => (room.connection?.isOpen ? room.leave() : undefined)));
  });

  it("welcomes a player with its position, the zone and its bounds", async () => {
    const { characterId, joined } = track(await joinFresh());
    const welcome = await joined.welcome;
    assert.equal(welcome.character_id, characterId);
    assert.equal(welcome.session_id, joined.room.sessionId);
    assert.equal(welcome.zone_id, "starter");
    assert.equal(welcome.tick_rate, 20);
    assert.deepEqual([welcome.x, welcome.y, welcome.width, welcome.height], [0, 0, WIDTH, 1000]);
    const me = await eventually(() => playerIn(joined, characterId), "own player in state");
    assert.equal(me.name, "Wanderer");
    assert.equal(me.class, "adventurer");
  });

  it("two players in one zone see each other move, and the mover's seq is echoed", async () => {
    const a = track(await joinFresh("wza"));
    const b = track(await joinFresh("wzb"));
    await eventually(() => playerIn(a.joined, b.characterId), "B in A's state");
    b.joined.room.send("move", { dx: 3, dy: 4, seq: 7 });
    const seen = await eventually(() => {
      const p = playerIn(a.joined, b.characterId);
      return p && p.x === 3 && p.y === 4 && p;
    }, "B's move seen by A");
    assert.equal(seen.seq, 7);
    a.joined.room.send("move", { dx: 1, dy: 0 });
    await eventually(() => playerIn(b.joined, a.characterId)?.x === 1, "A's move seen by B");
  });

  it("clamps a move longer than the step to the step, keeping its direction", async () => {
    const { characterId, joined } = track(await joinFresh());
    joined.room.send("move", { dx: 300, dy: 400 });
    const me = await eventually(() => {
      const p = playerIn(joined, characterId);
      return p && p.x > 0 && p;
    }, "the clamped move");
    assert.ok(Math.abs(me.x - 3) < 1e-4, `x=${me.x}`);
    assert.ok(Math.abs(me.y - 4) < 1e-4, `y=${me.y}`);
    assert.ok(Math.hypot(me.x, me.y) <= MAX_STEP + 1e-4);
  });

  it("keeps positions inside the zone bounds", async () => {
    const { characterId, joined } = track(await joinFresh());
    joined.room.send("move", { dx: -50, dy: -50, seq: 1 });
    await eventually(() => playerIn(joined, characterId)?.seq === 1, "the move into the corner applied");
    const corner = playerIn(joined, characterId);
    assert.deepEqual([corner.x, corner.y], [0, 0]);
    joined.room.send("move", { dx: 1e308, dy: -1e308, seq: 2 });
    joined.room.send("move", { dx: 1e308, dy: 5, seq: 3 });
    await eventually(() => playerIn(joined, characterId)?.seq === 3, "the huge moves applied");
    const me = playerIn(joined, characterId);
    assert.ok(me.x >= 0 && me.x <= WIDTH && me.y >= 0 && me.y <= 1000, `(${me.x}, ${me.y})`);
    assert.ok(Number.isFinite(me.x) && Number.isFinite(me.y));
  });

  it("answers malformed moves, unknown messages and an oversized say with error, and keeps the connection", async () => {
    const { characterId, joined } = track(await joinFresh());
    await joined.welcome;
    const bad: [string, unknown][] = [
      ["move", { dx: NaN, dy: 0 }],
      ["move", { dx: Infinity, dy: 0 }],
      ["move", { dx: "1", dy: 0 }],
      ["move", { dx: 1 }],
      ["move", "north"],
      ["say", { text: "x".repeat(281) }],
      ["say", { text: "" }],
      ["teleport", { x: 500, y: 500 }],
    ];
    for (const [type, payload] of bad) joined.room.send(type, payload as any);
    const errors = await eventually(() => {
      const found = joined.messages.filter((m) => m.type === "error");
      return found.length === bad.length && found;
    }, "one error per bad message");
    assert.deepEqual(
      errors.map((e) => e.data.code),
      [...Array(bad.length - 1).fill("validation_failed"), "unknown_message"],
    );
    assert.equal(typeof errors[0].data.message, "string");
    assert.ok(Array.isArray(errors[0].data.errors));
    const me = playerIn(joined, characterId);
    assert.deepEqual([me.x, me.y], [0, 0], "no bad move was applied");
    const before = joined.messages.length;
    joined.room.send("ping", { t: 42 });
    const pong = await nextMessage(joined, "pong", before);
    assert.equal(pong.t, 42);
    assert.equal(typeof pong.server_time, "number");
    assert.equal(typeof pong.tick, "number");
  });

  it("broadcasts say to the zone as said with the speaker", async () => {
    const a = track(await joinFresh("wza"));
    const b = track(await joinFresh("wzb"));
    await a.joined.welcome;
    a.joined.room.send("say", { text: "hello, tavern" });
    const said = await eventually(
      () => b.joined.messages.find((m) => m.type === "said" && m.data.character_id === a.characterId)?.data,
      "said at B",
    );
    assert.equal(said.name, "Wanderer");
    assert.equal(said.text, "hello, tavern");
    assert.ok(!Number.isNaN(Date.parse(said.at)));
  });

  it("rejects joining with someone else's character with 403", async () => {
    const owner = await newUser("wzo");
    const characterId = await createCharacter(owner);
    const thief = await newUser("wzt");
    await assert.rejects(sdk(thief.token).joinOrCreate("world_zone", { character_id: characterId }), (err: any) => err.code === 403);
  });

  it("rejects an unknown or malformed character id with 404, a missing one with 400, and a missing token with 401", async () => {
    const user = await newUser();
    const client = sdk(user.token);
    await assert.rejects(client.joinOrCreate("world_zone", { character_id: "6b0c6a43-3c3e-4a52-9a2f-0d7b6c1b9e11" }), (err: any) => err.code === 404);
    await assert.rejects(client.joinOrCreate("world_zone", { character_id: "not-a-uuid" }), (err: any) => err.code === 404);
    await assert.rejects(client.joinOrCreate("world_zone", {}), (err: any) => err.code === 400);
    const characterId = await createCharacter(user);
    await assert.rejects(sdk().joinOrCreate("world_zone", { character_id: characterId }), (err: any) => err.code === 401);
  });

  it("lands in the character's zone, and refuses (400) a join that names a zone of its own", async () => {
    const user = await newUser();
    const characterId = await createCharacter(user);
    await assert.rejects(sdk(user.token).joinOrCreate("world_zone", { character_id: characterId, zone_id: "made-up-zone" }), (err: any) => err.code === 400);
    const joined = await join(sdk(user.token), { character_id: characterId });
    open.push(joined.room);
    assert.equal((await joined.welcome).zone_id, "starter");
    await eventually(() => joined.room.state.zone_id === "starter", "state zone_id");
  });

  it("closes the older connection with 4409 when the same character joins again", async () => {
    const user = await newUser();
    const characterId = await createCharacter(user);
    const first = await join(sdk(user.token), { character_id: characterId });
    first.room.send("move", { dx: 2, dy: 0 });
    await eventually(() => playerIn(first, characterId)?.x === 2, "the first connection's move");
    const second = await join(sdk(user.token), { character_id: characterId });
    open.push(second.room);
    assert.equal(await first.closed, 4409);
    const welcome = await second.welcome;
    assert.deepEqual([welcome.x, welcome.y], [2, 0], "the seat keeps its live position");
    second.room.send("move", { dx: 1, dy: 0 });
    await eventually(() => playerIn(second, characterId)?.x === 3, "the second connection moves");
  });

  it("keeps the position across leave and rejoin, and REST shows it after leave", async () => {
    const user = await newUser();
    const characterId = await createCharacter(user);
    const first = await join(sdk(user.token), { character_id: characterId });
    first.room.send("move", { dx: 4, dy: 3 });
    await eventually(() => playerIn(first, characterId)?.x === 4, "the move");
    await first.room.leave();
    const stored = await eventually(async () => {
      const res = await api("GET", `/api/v1/characters/${characterId}`, { token: user.token });
      return res.body.position?.x === 4 && res.body;
    }, "the saved position");
    assert.deepEqual(stored.position, { x: 4, y: 3 });
    const list = await api("GET", "/api/v1/characters", { token: user.token });
    assert.deepEqual(list.body.items.find((c: any) => c.id === characterId).position, { x: 4, y: 3 });
    const again = await join(sdk(user.token), { character_id: characterId });
    open.push(again.room);
    const welcome = await again.welcome;
    assert.deepEqual([welcome.x, welcome.y], [4, 3]);
  });

  it("holds a dropped player's seat and lets it reconnect within the window", async () => {
    const a = track(await joinFresh("wza"));
    const b = track(await joinFresh("wzb"));
    await eventually(() => playerIn(a.joined, b.characterId), "B in A's state");
    const token = b.joined.room.reconnectionToken;
    b.joined.room.reconnection.enabled = false;
    await b.joined.room.leave(false);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(playerIn(a.joined, b.characterId), "the dropped player is still in the zone");
    const resumed = watch(await sdk(b.user.token).reconnect(token));
    open.push(resumed.room);
    resumed.room.send("move", { dx: 0, dy: 2 });
    await eventually(() => playerIn(a.joined, b.characterId)?.y === 2, "the reconnected player moves");
    await eventually(() => playerIn(resumed, b.characterId)?.y === 2, "the reconnected client sees itself");
  });

  it("a reconnection that reaches the room before the drop does (a stale connection) resumes the seat", async () => {
    const a = track(await joinFresh("wzs"));
    const b = track(await joinFresh("wzt"));
    await eventually(() => playerIn(a.joined, b.characterId), "B in A's state");
    b.joined.room.reconnection.enabled = false;
    // The old connection is still open: Colyseus closes it (4002) and hands its seat over.
    const resumed = watch(await sdk(b.user.token).reconnect(b.joined.room.reconnectionToken));
    open.push(resumed.room);
    assert.equal(await b.joined.closed, 4002);
    resumed.room.send("move", { dx: 0, dy: 3 });
    await eventually(() => playerIn(a.joined, b.characterId)?.y === 3, "the resumed player moves");
  });

  it("refuses a reconnection when the token was revoked while the connection was down, and frees the seat", async () => {
    const a = track(await joinFresh("wza"));
    const b = track(await joinFresh("wzr"));
    await eventually(() => playerIn(a.joined, b.characterId), "B in A's state");
    const token = b.joined.room.reconnectionToken;
    b.joined.room.reconnection.enabled = false;
    await b.joined.room.leave(false);
    assert.equal((await api("POST", "/api/v1/auth/logout", { token: b.user.token })).status, 204);
    await assert.rejects(sdk(b.user.token).reconnect(token));
    await eventually(() => !playerIn(a.joined, b.characterId), "B's seat freed");
  });

  it("removes a dropped player after the reconnection window and saves its position", async () => {
    const a = track(await joinFresh("wza"));
    const b = track(await joinFresh("wzb"));
    b.joined.room.send("move", { dx: 5, dy: 0 });
    await eventually(() => playerIn(a.joined, b.characterId)?.x === 5, "B's move");
    b.joined.room.reconnection.enabled = false;
    await b.joined.room.leave(false);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(playerIn(a.joined, b.characterId), "held during the window");
    await eventually(() => !playerIn(a.joined, b.characterId), "B removed after the window", 6000);
    await eventually(async () => {
      const res = await api("GET", `/api/v1/characters/${b.characterId}`, { token: b.user.token });
      return res.body.position?.x === 5;
    }, "B's saved position");
  });

  it("saves connected players' positions periodically, and the cached character list shows them", async () => {
    const { user, characterId, joined } = track(await joinFresh());
    const cached = await api("GET", "/api/v1/characters", { token: user.token });
    assert.equal(cached.status, 200);
    joined.room.send("move", { dx: 0, dy: 5 });
    await eventually(() => playerIn(joined, characterId)?.y === 5, "the move");
    await eventually(async () => {
      const list = await api("GET", "/api/v1/characters", { token: user.token });
      return list.body.items.find((c: any) => c.id === characterId)?.position.y === 5;
    }, "the periodic save reaching the list", 5000);
    assert.ok(joined.room.connection.isOpen, "saved while still connected");
  });

  it("publishes player.joined, player.moved at most once per tick with that tick's moves, and player.left", async () => {
    // The server's own presence: the bus every in-process or remote subscriber reads.
    const presence = matchMaker.presence;
    const seen: { type: string; data: any }[] = [];
    const listeners = ["player.joined", "player.moved", "player.left"].map((type) => {
      const listener = (event: { type: string; data: any }) => seen.push(event);
      return { channel: `events.${type}`, listener };
    });
    for (const { channel, listener } of listeners) await presence.subscribe(channel, listener);
    try {
      const a = track(await joinFresh("wza"));
      const b = track(await joinFresh("wzb"));
      const joinedEvent = await eventually(
        () => seen.find((e) => e.type === "player.joined" && e.data.character_id === b.characterId),
        "player.joined",
      );
      assert.equal(joinedEvent.data.zone_id, "starter");
      assert.equal(joinedEvent.data.owner_id, b.user.id);
      for (let i = 1; i <= 3; i++) {
        a.joined.room.send("move", { dx: 1, dy: 0 });
        b.joined.room.send("move", { dx: 0, dy: 1 });
        a.joined.room.send("move", { dx: 1, dy: 0 });
        await eventually(() => playerIn(a.joined, a.characterId)?.x === 2 * i && playerIn(a.joined, b.characterId)?.y === i, "the moves");
      }
      const mine = (e: { data: any }) => e.data.moves.some((m: any) => m.character_id === a.characterId || m.character_id === b.characterId);
      const lastOfA = (events: { data: any }[]) => events.flatMap((e) => e.data.moves).filter((m: any) => m.character_id === a.characterId).at(-1);
      // Events travel through presence (Redis in the second pass) and may trail the state the clients saw.
      const moved = await eventually(() => {
        const found = seen.filter((e) => e.type === "player.moved" && mine(e));
        return found.length >= 2 && lastOfA(found)?.x === 6 && found;
      }, "player.moved events up to a's last move");
      const ticks = moved.map((e: { data: any }) => e.data.tick);
      assert.equal(new Set(ticks).size, ticks.length, "one player.moved per tick");
      for (const e of moved) {
        assert.equal(e.data.zone_id, "starter");
        const ids = e.data.moves.map((m: any) => m.character_id);
        assert.equal(new Set(ids).size, ids.length, "a character appears once per batch");
      }
      assert.deepEqual({ x: lastOfA(moved).x, y: lastOfA(moved).y }, { x: 6, y: 0 });
      await b.joined.room.leave();
      const left = await eventually(
        () => seen.find((e) => e.type === "player.left" && e.data.character_id === b.characterId),
        "player.left",
      );
      assert.deepEqual([left.data.x, left.data.y], [0, 3]);
    } finally {
      for (const { channel, listener } of listeners) await presence.unsubscribe(channel, listener);
    }
  });

  it("closes the connection with 4401 when its session logs out", async () => {
    const { user, joined } = await joinFresh();
    await joined.welcome;
    const res = await api("POST", "/api/v1/auth/logout", { token: user.token });
    assert.equal(res.status, 204);
    assert.equal(await joined.closed, 4401);
  });

  it("disconnects a client that sends more messages per second than allowed", async () => {
    const { joined } = await joinFresh();
    await joined.welcome;
    for (let i = 0; i < 100; i++) joined.room.send("ping", { t: i });
    assert.equal(await joined.closed, 4002);
  });
});

describe("world_zone interest management (WORLD_AOI_RADIUS=100)", function () {
  this.timeout(120_000);
  let proc: ServerProcess;
  const open: Room<any>[] = [];

  before(async () => {
    proc = await startServerProcess({ WORLD_AOI_RADIUS: "100", WORLD_MAX_STEP: "100" });
  });
  after(async () => {
    await Promise.all(open.map((room) => (room.connection?.isOpen ? room.leave() : undefined)));
    await proc?.stop();
  });

  /** A fresh player with a character in the spawned server's zone, joined. */
  async function player(prefix: string) {
    const username = uniqueName(prefix);
    const password = "correct-horse-1";
    const reg = await api("POST", "/api/v1/auth/register", { base: proc.url, body: { username, email: `${username}@example.test`, password } });
    assert.equal(reg.status, 201);
    const login = await api("POST", "/api/v1/auth/login", { base: proc.url, body: { username, password } });
    const client = new SdkClient(proc.url.replace("http", "ws"));
    client.auth.token = login.body.access_token;
    const characterId = await createCharacter({ token: login.body.access_token }, prefix, proc.url);
    const joined = await join(client, { character_id: characterId });
    open.push(joined.room);
    await eventually(() => playerIn(joined, characterId), `${prefix} sees itself`);
    return { characterId, joined, token: login.body.access_token as string };
  }

  /** One step per tick, each waited for, so none is lost to the per-tick clamp. */
  async function walkTo(p: { characterId: string; joined: Joined }, x: number) {
    for (;;) {
      const from: number = playerIn(p.joined, p.characterId).x;
      if (from === x) return;
      p.joined.room.send("move", { dx: Math.max(-100, Math.min(100, x - from)), dy: 0 });
      await eventually(() => playerIn(p.joined, p.characterId).x !== from, "a step");
    }
  }

  it("shows a client only the players near it, and a far player appears once it comes near", async () => {
    const a = await player("aoia");
    const b = await player("aoib");
    const bAsASeesIt = await eventually(() => playerIn(a.joined, b.characterId), "B near A is visible");
    // B joined beside A: its ADD carries every field, not only where it stands.
    assert.deepEqual([bAsASeesIt.character_id, bAsASeesIt.name], [b.characterId, "aoib"]);
    await walkTo(b, 600);
    await eventually(() => !playerIn(a.joined, b.characterId), "B gone from A's state once far");
    const c = await player("aoic");
    await eventually(() => playerIn(c.joined, a.characterId), "C sees A beside it");
    assert.equal(playerIn(c.joined, b.characterId), undefined, "a far player never reaches a newcomer");
    await walkTo(b, 100);
    const back = await eventually(() => playerIn(a.joined, b.characterId), "B visible again once near");
    assert.equal(back.x, 100);
    await eventually(() => playerIn(c.joined, b.characterId), "B visible to C, beside it too");
  });

  /** One axis at a time in whole steps, so float32 positions land exactly; each step waited for. */
  async function walkToPoint(p: { characterId: string; joined: Joined }, x: number, y: number) {
    for (;;) {
      // Copied: the Player object itself changes when the patch arrives.
      const from = { x: playerIn(p.joined, p.characterId).x, y: playerIn(p.joined, p.characterId).y };
      if (from.x === x && from.y === y) return;
      const clampStep = (d: number) => Math.max(-100, Math.min(100, d));
      const step = from.y !== y ? { dx: 0, dy: clampStep(y - from.y) } : { dx: clampStep(x - from.x), dy: 0 };
      p.joined.room.send("move", step);
      await eventually(() => {
        const now = playerIn(p.joined, p.characterId);
        return (now.x !== from.x || now.y !== from.y) && now;
      }, "a step");
    }
  }

  const seen = (p: { joined: Joined }) => [...p.joined.room.state.players.keys()].sort().join(",");
  const exactly = (...ps: { characterId: string }[]) => ps.map((p) => p.characterId).sort().join(",");

  it("a client crossing cells sees exactly the players near it wherever it stops, none left over", async () => {
    // Row y=600 is far from everyone else of the suite, who stand on y=0.
    const mover = await player("aoim");
    const west = await player("aoiw");
    const middle = await player("aoix");
    const east = await player("aoie");
    await Promise.all([walkToPoint(west, 100, 600), walkToPoint(middle, 500, 600), walkToPoint(east, 800, 600), walkToPoint(mover, 0, 600)]);
    await eventually(() => seen(mover) === exactly(mover, west) || undefined, "the mover beside west sees only west");

    await walkToPoint(mover, 400, 600);
    await eventually(() => seen(mover) === exactly(mover, middle) || undefined, "west dropped and middle added");
    await eventually(() => playerIn(middle.joined, mover.characterId)?.x === 400, "middle sees the mover where it stands");
    await eventually(() => !playerIn(west.joined, mover.characterId), "west no longer sees the mover");

    await walkToPoint(mover, 800, 550);
    await eventually(() => seen(mover) === exactly(mover, east) || undefined, "only east near the east end");

    await walkToPoint(mover, 150, 600);
    await eventually(() => seen(mover) === exactly(mover, west) || undefined, "back west: west again, nobody else");
    const shown = await eventually(() => playerIn(mover.joined, west.characterId), "west as the mover sees it");
    assert.deepEqual([shown.x, shown.y], [100, 600]);
    await eventually(() => playerIn(west.joined, mover.characterId)?.x === 150, "west sees the mover arrive");
    assert.equal(playerIn(east.joined, mover.characterId), undefined, "east lost the mover");
  });
  it("echoes a mover's seq to its own client, and its neighbours see each move where it lands", async () => {
    // Row y=900, away from the other tests' players.
    const mover = await player("aoiq");
    const watcher = await player("aoiv");
    await Promise.all([walkToPoint(mover, 300, 900), walkToPoint(watcher, 350, 900)]);
    await eventually(() => playerIn(watcher.joined, mover.characterId)?.x === 300, "the watcher sees the mover arrive");
    mover.joined.room.send("move", { dx: 5, dy: -5, seq: 77 });
    await eventually(() => playerIn(mover.joined, mover.characterId)?.seq === 77, "the mover's own seq echoed");
    const seen = await eventually(() => playerIn(watcher.joined, mover.characterId)?.y === 895 && playerIn(watcher.joined, mover.characterId), "the move");
    assert.equal(seen.x, 305);
  });

  it("a reconnected client and a second login of the same character both get their neighbours back", async () => {
    // Row y=300, away from the other tests' players.
    const a = await player("aoir");
    const b = await player("aoin");
    await Promise.all([walkToPoint(a, 200, 300), walkToPoint(b, 250, 300)]);
    await eventually(() => playerIn(a.joined, b.characterId)?.x === 250, "A sees B");

    const token = a.joined.room.reconnectionToken;
    a.joined.room.reconnection.enabled = false;
    await a.joined.room.leave(false);
    const client = new SdkClient(proc.url.replace("http", "ws"));
    client.auth.token = a.token;
    const resumed = await client.reconnect(token);
    open.push(resumed);
    await eventually(() => resumed.state.players?.get(b.characterId)?.x === 250, "the reconnected client sees B");
    b.joined.room.send("move", { dx: 0, dy: 5 });
    await eventually(() => resumed.state.players?.get(b.characterId)?.y === 305, "and B's moves after it");

    const again = new SdkClient(proc.url.replace("http", "ws"));
    again.auth.token = a.token;
    const second = await join(again, { character_id: a.characterId });
    open.push(second.room);
    await eventually(() => playerIn(second, b.characterId)?.y === 305, "the second login sees B where it stands");
    second.room.send("move", { dx: 5, dy: 0 });
    await eventually(() => playerIn(b.joined, a.characterId)?.x === 205, "B sees the second login's move");
  });

  it("the ticks a zone catches up on after a stall reach a client as one patch, with the moves made meanwhile", async () => {
    // Row y=400, away from the other tests' players.
    const a = await player("aoic");
    const b = await player("aoid");
    await Promise.all([walkToPoint(a, 200, 400), walkToPoint(b, 250, 400)]);
    await eventually(() => playerIn(a.joined, b.characterId)?.x === 250, "A sees B");
    const ticks: number[] = [];
    a.joined.room.onStateChange((state: any) => ticks.push(state.tick));
    await eventually(() => ticks.length >= 3, "patches");

    // The server stops for 400 ms (8 ticks at 20 a second) while B's move waits in its socket.
    proc.child.kill("SIGSTOP");
    b.joined.room.send("move", { dx: 5, dy: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = ticks.length;
    proc.child.kill("SIGCONT");

    await eventually(() => playerIn(a.joined, b.characterId)?.x === 255, "B's move, seen by A");
    await eventually(() => ticks.length >= before + 2, "patches after the stall");
    const steps = ticks.slice(before).map((tick, i) => tick - ticks[before + i - 1]!);
    assert.ok(steps[0]! >= 3, `the first patch after the stall covers the catch-up ticks (tick steps ${steps.join(", ")})`);
    assert.ok(steps.slice(1).every((step) => step >= 1), `and every patch carries a later tick (${steps.join(", ")})`);
  });
});

describe("world_zone when full (WORLD_MAX_CLIENTS=1)", function () {
  this.timeout(120_000);
  let proc: ServerProcess;
  before(async () => {
    proc = await startServerProcess({ WORLD_MAX_CLIENTS: "1" });
  });
  after(async () => {
    await proc?.stop();
  });

  async function clientWithCharacter(prefix: string) {
    const username = uniqueName(prefix);
    const password = "correct-horse-1";
    await api("POST", "/api/v1/auth/register", { base: proc.url, body: { username, email: `${username}@example.test`, password } });
    const token = (await api("POST", "/api/v1/auth/login", { base: proc.url, body: { username, password } })).body.access_token;
    const client = new SdkClient(proc.url.replace("http", "ws"));
    client.auth.token = token;
    return { client, characterId: await createCharacter({ token }, prefix, proc.url) };
  }

  it("refuses a join with 503 rather than opening a second room for the zone", async () => {
    const first = await clientWithCharacter("full1");
    const second = await clientWithCharacter("full2");
    const inside = await join(first.client, { character_id: first.characterId });
    try {
      await assert.rejects(second.client.joinOrCreate("world_zone", { character_id: second.characterId }), (err: any) => err.code === 503);
      assert.ok(inside.room.connection.isOpen);
    } finally {
      await inside.room.leave();
    }
  });
});

describe("world_zone across a graceful restart", function () {
  this.timeout(90_000);
  before(function () {
    embeddedOnly(this);
  });

  it("saves every position on SIGTERM, before the periodic save would have", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-world-"));
    const env = { DATABASE_URL: "", DATA_DIR: dataDir, WORLD_SAVE_INTERVAL: "3600" };
    try {
      const first = await startServerProcess(env);
      const username = uniqueName("wzr");
      const password = "correct-horse-1";
      await api("POST", "/api/v1/auth/register", { base: first.url, body: { username, email: `${username}@example.test`, password } });
      const credentials = { base: first.url, body: { username, password } };
      const token = (await api("POST", "/api/v1/auth/login", credentials)).body.access_token;
      const characterId = await createCharacter({ token }, "Sleeper", first.url);
      const client = new SdkClient(first.url.replace("http", "ws"));
      client.auth.token = token;
      const joined = await join(client, { character_id: characterId });
      joined.room.send("move", { dx: 3, dy: 2 });
      await eventually(() => playerIn(joined, characterId)?.x === 3, "the move");
      assert.equal(await first.stop("SIGTERM"), 0);
      assert.equal(await joined.closed, 4001, "closed by the server's shutdown, after the save");

      const second = await startServerProcess(env);
      try {
        const again = (await api("POST", "/api/v1/auth/login", { ...credentials, base: second.url })).body.access_token;
        const res = await api("GET", `/api/v1/characters/${characterId}`, { base: second.url, token: again });
        assert.deepEqual(res.body.position, { x: 3, y: 2 });
      } finally {
        await second.stop("SIGTERM");
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
