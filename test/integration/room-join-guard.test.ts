import assert from "node:assert/strict";
import zlib from "node:zlib";
import type { Room } from "@colyseus/sdk";
import { api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { baseUrl, sdk } from "../support/server";

/**
 * A client lands only in the room whose key its own claims resolve to, whatever SDK
 * call it makes, and matchmaking requests are held to the same input rules as REST.
 */

const code = (err: unknown) => (err as { code?: number }).code;

async function refusal(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    const room = (await promise) as Room;
    await room.leave();
    return undefined;
  } catch (err) {
    return code(err);
  }
}

async function character(user: TestUser): Promise<string> {
  const res = await api("POST", "/api/v1/characters", { token: user.token, body: { name: "Guard test hero" } });
  assert.equal(res.status, 201);
  return res.body.id;
}

/** A raw matchmaking request, as any HTTP client could send it. */
const matchmake = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl()}/matchmake/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("room joins honour the routing key", () => {
  const open: Room[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((room) => (room.connection.isOpen ? room.leave() : undefined)));
  });
  /** Tracks a joined room for cleanup; it ignores the messages a test does not read. */
  const keep = <R extends Room>(room: R) => {
    room.onMessage("*", () => undefined);
    open.push(room);
    return room;
  };

  it("joinById into someone else's inbox is refused with 403, and none of their messages reach the intruder", async () => {
    const [alice, mallory, bob] = await Promise.all([newUser("jga"), newUser("jgm"), newUser("jgb")]);
    const aliceInbox = keep(await sdk(alice.token).joinOrCreate("inbox", {}));
    assert.equal(await refusal(sdk(mallory.token).joinById(aliceInbox.roomId, {})), 403);
    const seen: string[] = [];
    aliceInbox.onMessage("message", (m: { content: string }) => seen.push(m.content));
    await api("POST", "/api/v1/messages/dm", { token: bob.token, body: { recipient_id: alice.id, content: "for Alice only" } });
    await eventually(() => seen.includes("for Alice only"), "Alice's own delivery");
  });

  it("joinById into another pair's DM channel is refused with 403", async () => {
    const [alice, bob, mallory] = await Promise.all([newUser("jgc"), newUser("jgd"), newUser("jge")]);
    const channel = keep(await sdk(alice.token).joinOrCreate("dm_channel", { peer_id: bob.id }));
    assert.equal(await refusal(sdk(mallory.token).joinById(channel.roomId, { peer_id: alice.id })), 403);
    assert.equal(await refusal(sdk(mallory.token).joinById(channel.roomId, { peer_id: bob.id })), 403);
  });

  it("joinById into one's own inbox and one's own pair's channel is allowed", async () => {
    const [alice, bob] = await Promise.all([newUser("jgf"), newUser("jgg")]);
    const inbox = keep(await sdk(alice.token).joinOrCreate("inbox", {}));
    const again = keep(await sdk(alice.token).joinById(inbox.roomId, {}));
    assert.equal(again.roomId, inbox.roomId);
    const channel = keep(await sdk(alice.token).joinOrCreate("dm_channel", { peer_id: bob.id }));
    const bobSide = keep(await sdk(bob.token).joinById(channel.roomId, { peer_id: alice.id }));
    assert.equal(bobSide.roomId, channel.roomId);
  });

  it("joinById into a world zone needs a character of one's own there: someone else's is 403", async () => {
    const [owner, other] = await Promise.all([newUser("jgh"), newUser("jgi")]);
    const [ownerHero, otherHero] = await Promise.all([character(owner), character(other)]);
    const zone = keep(await sdk(owner.token).joinOrCreate("world_zone", { character_id: ownerHero }));
    assert.equal(await refusal(sdk(other.token).joinById(zone.roomId, { character_id: ownerHero })), 403);
    const otherInZone = keep(await sdk(other.token).joinById(zone.roomId, { character_id: otherHero }));
    assert.equal(otherInZone.roomId, zone.roomId);
  });

  it("create() a hundred times makes one inbox, and a DM then reaches each device once", async () => {
    const [alice, bob] = await Promise.all([newUser("jgj"), newUser("jgk")]);
    const rooms = await Promise.all(Array.from({ length: 100 }, () => sdk(alice.token).create("inbox", {})));
    rooms.forEach(keep);
    assert.equal(new Set(rooms.map((r) => r.roomId)).size, 1);
    const counts = rooms.map(() => 0);
    rooms.forEach((room, i) => room.onMessage("message", () => counts[i]!++));
    await api("POST", "/api/v1/messages/dm", { token: bob.token, body: { recipient_id: alice.id, content: "once" } });
    await eventually(() => counts.every((n) => n === 1), "one delivery per device");
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(counts.every((n) => n === 1), `deliveries per device: ${counts.join(",")}`);
  });

  it("create() for a zone that has its room lands in it: the same character then closes its older connection with 4409", async () => {
    const user = await newUser("jgl");
    const hero = await character(user);
    const first = keep(await sdk(user.token).joinOrCreate("world_zone", { character_id: hero }));
    const closed = new Promise<number>((resolve) => first.onLeave((c: number) => resolve(c)));
    const second = keep(await sdk(user.token).create("world_zone", { character_id: hero }));
    assert.equal(second.roomId, first.roomId);
    assert.equal(await closed, 4409);
  });

  it("join() with no room for the caller's key is 404, not a server error", async () => {
    const user = await newUser("jgm2");
    assert.equal(await refusal(sdk(user.token).join("inbox", {})), 404);
  });

  it("reconnect() needs the token of the user who held the seat: someone else's is 403, none is 401", async () => {
    const [owner, other] = await Promise.all([newUser("jgn"), newUser("jgo")]);
    const hero = await character(owner);
    const room = keep(await sdk(owner.token).joinOrCreate("world_zone", { character_id: hero }));
    const token = room.reconnectionToken;
    assert.equal(await refusal(sdk(other.token).reconnect(token)), 403);
    assert.equal(await refusal(sdk().reconnect(token)), 401);
  });

  it("an unexpected failure in onAuth or onJoin reaches the client as 500 internal_error, without its text", async () => {
    const user = await newUser("jgp");
    for (const failIn of ["onAuth", "onJoin"]) {
      try {
        keep(await sdk(user.token).joinOrCreate("__test_faulty", { fail_in: failIn }));
        assert.fail(`a failure in ${failIn} joined`);
      } catch (err) {
        const e = err as { code?: number; message?: string };
        assert.equal(e.code, 500, failIn);
        assert.equal(e.message, "internal_error", failIn);
        assert.doesNotMatch(String(e.message), /secret|SELECT|stack/i, failIn);
      }
    }
    keep(await sdk(user.token).joinOrCreate("__test_faulty", { fail_in: "none" }));
  });
});

describe("matchmaking requests are held to the input rules", () => {
  let user: TestUser;
  before(async () => {
    user = await newUser("mmr");
  });
  const auth = () => ({ authorization: `Bearer ${user.token}` });

  it("a body over 16 KiB is 413 payload_too_large, before any room is looked up", async () => {
    const res = await matchmake("joinOrCreate/inbox", JSON.stringify({ since_id: "x".repeat(20_000) }), auth());
    assert.equal(res.status, 413);
    assert.equal((await res.json()).code, "payload_too_large");
    const huge = await matchmake("joinOrCreate/inbox", new Uint8Array(10 * 1024 * 1024).fill(0x20), auth());
    assert.equal(huge.status, 413);
  });

  it("options nested thousands deep are 400 validation_failed at once", async () => {
    const deep = "[".repeat(7000) + "]".repeat(7000);
    const res = await matchmake("joinOrCreate/inbox", `{"since_id":${deep}}`, auth());
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.code, "validation_failed");
    assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
  });

  it("unknown options, wrong types and NUL characters are 400 naming the field", async () => {
    for (const [room, options, field] of [
      ["inbox", { surprise: 1 }, "surprise"],
      ["inbox", { since_id: 42 }, "since_id"],
      ["dm_channel", { peer_id: "a\u0000b" }, "peer_id"],
      ["world_zone", { character_id: "x", zone_id: "elsewhere" }, "zone_id"],
    ] as const) {
      const res = await matchmake(`joinOrCreate/${room}`, JSON.stringify(options), auth());
      assert.equal(res.status, 400, JSON.stringify(options));
      const body = await res.json();
      assert.equal(body.code, "validation_failed");
      assert.ok(body.errors.some((e: { field: string }) => e.field === field), `${JSON.stringify(body.errors)} names ${field}`);
    }
  });

  it("a body that is not valid gzip, or not JSON, is 400; an unknown room type or method is 404", async () => {
    const gzip = await matchmake("joinOrCreate/inbox", new TextEncoder().encode("not gzip at all"), { ...auth(), "content-encoding": "gzip" });
    assert.equal(gzip.status, 400);
    const broken = await matchmake("joinOrCreate/inbox", "{", auth());
    assert.equal(broken.status, 400);
    const ok = await matchmake("joinOrCreate/inbox", new Uint8Array(zlib.gzipSync("{}")), { ...auth(), "content-encoding": "gzip" });
    assert.equal(ok.status, 200);
    assert.equal((await matchmake("joinOrCreate/no_such_room", "{}", auth())).status, 404);
    assert.equal((await matchmake("destroyEverything/inbox", "{}", auth())).status, 404);
    assert.equal((await matchmake("joinById/%ff", "{}", auth())).status, 404);
  });
});
