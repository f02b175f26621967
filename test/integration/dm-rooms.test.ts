import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Room } from "@colyseus/sdk";
import { api, newUser, type TestUser } from "../support/api";
import { sdk } from "../support/server";
import { eventually } from "../support/eventually";

/** inbox and dm_channel through real SDK clients, with sends over REST and both rooms. */

interface Live {
  room: Room<any>;
  messages: any[];
  errors: any[];
  history: any[][];
  closed: Promise<number>;
}

/** Joins and starts recording at once, so nothing sent on join is missed. */
async function join(user: TestUser, name: "inbox" | "dm_channel", options: Record<string, unknown> = {}): Promise<Live> {
  const room = await sdk(user.token).joinOrCreate(name, options);
  const live: Live = { room, messages: [], errors: [], history: [], closed: new Promise((resolve) => room.onLeave((code: number) => resolve(code))) };
  room.onMessage("*", (type: string | number, data: any) => {
    if (type === "message") live.messages.push(data);
    else if (type === "error") live.errors.push(data);
    else if (type === "history") live.history.push(data.items);
  });
  return live;
}

const inbox = (user: TestUser, options: Record<string, unknown> = {}) => join(user, "inbox", options);
const channel = (user: TestUser, peer: TestUser) => join(user, "dm_channel", { peer_id: peer.id });


const contents = (live: Live) => live.messages.map((m) => m.content);
const restSend = (from: TestUser, to: TestUser, content: string, clientMsgId?: string) =>
  api("POST", "/api/v1/messages/dm", { token: from.token, body: { recipient_id: to.id, content, ...(clientMsgId ? { client_msg_id: clientMsgId } : {}) } });

async function joinRejection(user: TestUser | { token: string }, name: string, options: Record<string, unknown>): Promise<number> {
  try {
    const room = await sdk(user.token).joinOrCreate(name, options);
    await room.leave();
  } catch (err) {
    return (err as { code: number }).code;
  }
  throw new Error("the join was accepted");
}

describe("inbox and dm_channel rooms", () => {
  const open: Live[] = [];
  const track = async (p: Promise<Live>) => {
    const live = await p;
    open.push(live);
    return live;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.room.connection.isOpen && l.room.leave().catch(() => undefined)));
  });

  it("Alice and Bob (seed 002): a dm over the inbox reaches Bob at once with Alice's echo, the reply too, and history and conversations agree", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const bobInbox = await track(inbox(bob));
    const aliceInbox = await track(inbox(alice));
    await eventually(() => aliceInbox.room.state.user_id === alice.id, "the inbox state");

    aliceInbox.room.send("dm", { recipient_id: bob.id, content: "Hey Bob!" });
    const received = await eventually(() => bobInbox.messages[0], "Bob's message");
    assert.deepEqual(Object.keys(received).sort(), ["client_msg_id", "content", "created_at", "id", "recipient_id", "sender_id", "sender_username"]);
    assert.equal(received.sender_username, alice.username);
    assert.equal(received.content, "Hey Bob!");
    const echo = await eventually(() => aliceInbox.messages[0], "Alice's echo");
    assert.equal(echo.id, received.id);

    bobInbox.room.send("dm", { recipient_id: alice.id, content: "Hey Alice!" });
    await eventually(() => aliceInbox.messages.length === 2 && bobInbox.messages.length === 2, "the reply on both sides");
    assert.deepEqual(contents(aliceInbox), ["Hey Bob!", "Hey Alice!"]);
    assert.deepEqual(contents(bobInbox), ["Hey Bob!", "Hey Alice!"]);
    assert.equal(await eventually(() => aliceInbox.room.state.unread_total === 1 && 1, "Alice's unread total"), 1);

    const history = await api("GET", `/api/v1/messages/dm/${bob.id}`, { token: alice.token });
    assert.deepEqual(history.body.items.map((m: any) => m.content), ["Hey Alice!", "Hey Bob!"]);
    const conversations = await api("GET", "/api/v1/messages/conversations", { token: alice.token });
    assert.deepEqual(conversations.body.items.map((c: any) => [c.user_id, c.username, c.last_message, c.unread_count]), [[bob.id, bob.username, "Hey Alice!", 1]]);
    assert.equal(aliceInbox.errors.length + bobInbox.errors.length, 0);
  });

  it("a REST send reaches the recipient's inbox and the pair's channel live, on both sides", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const bobInbox = await track(inbox(bob));
    const aliceChannel = await track(channel(alice, bob));
    const bobChannel = await track(channel(bob, alice));
    await eventually(() => aliceChannel.history.length && bobChannel.history.length, "history on join");
    const sent = await restSend(alice, bob, "over REST");
    assert.equal(sent.status, 201);
    for (const live of [bobInbox, aliceChannel, bobChannel]) {
      const got = await eventually(() => live.messages[0], "the live message");
      assert.deepEqual(got, sent.body);
    }
  });

  it("a channel message reaches the recipient's inbox when the recipient is not in the channel, and the sender's echo", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    await restSend(bob, alice, "earlier");
    const bobInbox = await track(inbox(bob));
    const aliceChannel = await track(channel(alice, bob));
    const [history] = await eventually(() => aliceChannel.history.length > 0 && aliceChannel.history, "history");
    assert.deepEqual(history!.map((m: any) => m.content), ["earlier"]);
    await eventually(() => aliceChannel.room.state.participants?.get(alice.id)?.online === true, "Alice online");
    const participants = aliceChannel.room.state.participants;
    assert.equal(participants.get(bob.id).online, false);
    assert.equal(participants.get(bob.id).username, bob.username);

    aliceChannel.room.send("message", { content: "from the channel", client_msg_id: "k1" });
    const got = await eventually(() => bobInbox.messages[0], "Bob's inbox delivery");
    assert.equal(got.content, "from the channel");
    assert.equal(got.client_msg_id, "k1");
    const echo = await eventually(() => aliceChannel.messages[0], "the channel echo");
    assert.equal(echo.id, got.id);
  });

  it("missing fields and an unknown recipient on a live inbox get error, and the connection stays for a valid send", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const aliceInbox = await track(inbox(alice));
    const bobInbox = await track(inbox(bob));
    aliceInbox.room.send("dm", { content: "no recipient" });
    aliceInbox.room.send("dm", { recipient_id: randomUUID(), content: "nobody" });
    aliceInbox.room.send("dm", { recipient_id: alice.id, content: "me" });
    aliceInbox.room.send("shout", { text: "?" });
    await eventually(() => aliceInbox.errors.length === 4, "four errors");
    const byCode = aliceInbox.errors.map((e) => e.code).sort();
    assert.deepEqual(byCode, ["not_found", "unknown_message", "validation_failed", "validation_failed"]);
    for (const e of aliceInbox.errors) assert.equal(typeof e.message, "string");
    assert.ok(aliceInbox.errors.some((e) => e.errors?.[0]?.field === "recipient_id"));

    aliceInbox.room.send("dm", { recipient_id: bob.id, content: "still here" });
    assert.equal((await eventually(() => bobInbox.messages[0], "the valid send")).content, "still here");
    assert.equal(aliceInbox.room.connection.isOpen, true);
  });

  it("a channel answers error for a recipient other than its peer, a bad message or an unknown one, and stays open", async () => {
    const [alice, bob, carol] = await Promise.all([newUser("alice"), newUser("bob"), newUser("carol")]);
    const aliceChannel = await track(channel(alice, bob));
    aliceChannel.room.send("message", { recipient_id: carol.id, content: "wrong pair" });
    aliceChannel.room.send("message", { content: "   " });
    aliceChannel.room.send("typing", { is_typing: "yes" });
    aliceChannel.room.send("read", { message_id: randomUUID() });
    await eventually(() => aliceChannel.errors.length === 4, "four errors");
    assert.deepEqual(aliceChannel.errors.map((e) => e.code).sort(), ["not_found", "validation_failed", "validation_failed", "validation_failed"]);
    aliceChannel.room.send("message", { recipient_id: bob.id, content: "right pair" });
    assert.equal((await eventually(() => aliceChannel.messages[0], "the valid send")).content, "right pair");
    const history = await api("GET", `/api/v1/messages/dm/${carol.id}`, { token: alice.token });
    assert.equal(history.body.total, 0);
  });

  it("joins are rejected: a bad token 401, a channel with yourself 403, an unknown peer 404, no peer 400", async () => {
    const alice = await newUser("alice");
    assert.equal(await joinRejection({ token: "not-a-token" }, "inbox", {}), 401);
    assert.equal(await joinRejection({ token: "" }, "inbox", {}), 401);
    assert.equal(await joinRejection({ token: "not-a-token" }, "dm_channel", { peer_id: alice.id }), 401);
    assert.equal(await joinRejection(alice, "dm_channel", { peer_id: alice.id }), 403);
    assert.equal(await joinRejection(alice, "dm_channel", { peer_id: randomUUID() }), 404);
    assert.equal(await joinRejection(alice, "dm_channel", {}), 400);
    assert.equal(await joinRejection(alice, "inbox", { since_id: randomUUID() }), 404);
  });

  it("a join that sends a routing key of its own is refused with 400: the server alone resolves the key", async () => {
    const [alice, bob, carol] = await Promise.all([newUser("alice"), newUser("bob"), newUser("carol")]);
    await track(inbox(bob));
    await track(channel(bob, carol));
    const bobCarolId = [bob.id, carol.id].sort().join(":");
    assert.equal(await joinRejection(alice, "inbox", { user_id: bob.id }), 400);
    assert.equal(await joinRejection(alice, "dm_channel", { peer_id: bob.id, channel_id: bobCarolId }), 400);
    const own = await track(inbox(alice));
    await eventually(() => own.room.state.user_id === alice.id, "Alice's own inbox");
  });

  it("read lowers the unread counts and shows in the channel's read marker", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const bobInbox = await track(inbox(bob));
    await restSend(alice, bob, "one");
    const two = await restSend(alice, bob, "two");
    await eventually(() => bobInbox.room.state.unread_total === 2, "two unread");
    const bobChannel = await track(channel(bob, alice));
    await eventually(() => bobChannel.history.length, "history");
    bobChannel.room.send("read", { message_id: two.body.id });
    await eventually(() => bobChannel.room.state.participants?.get(bob.id)?.last_read_message_id === two.body.id, "Bob's read marker");
    await eventually(() => bobInbox.room.state.unread_total === 0, "no unread");
    const conversations = await api("GET", "/api/v1/messages/conversations", { token: bob.token });
    assert.equal(conversations.body.items[0].unread_count, 0);
  });

  it("typing and online flags follow the participants", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const aliceChannel = await track(channel(alice, bob));
    const bobChannel = await track(channel(bob, alice));
    const seenByAlice = () => aliceChannel.room.state.participants?.get(bob.id);
    await eventually(() => seenByAlice()?.online === true, "Bob online");
    bobChannel.room.send("typing", { is_typing: true });
    await eventually(() => seenByAlice().typing === true, "Bob typing");
    await bobChannel.room.leave();
    await eventually(() => seenByAlice().online === false && seenByAlice().typing === false, "Bob gone");
  });

  it("an inbox rejoined with since_id receives the messages sent while it was away, in order, once, before live ones", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const first = await track(inbox(bob));
    const m1 = await restSend(alice, bob, "m1");
    await eventually(() => first.messages.length === 1, "m1 live");
    await first.room.leave();
    for (const text of ["m2", "m3", "m4"]) await restSend(alice, bob, text);
    await restSend(bob, alice, "m5 (mine)");
    const again = await track(inbox(bob, { since_id: m1.body.id }));
    await eventually(() => again.messages.length === 4, "the backlog");
    await restSend(alice, bob, "m6 live");
    await eventually(() => again.messages.length === 5, "the live message");
    assert.deepEqual(contents(again), ["m2", "m3", "m4", "m5 (mine)", "m6 live"]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(again.messages.length, 5);
  });

  it("a resume over a backlog many pages long delivers every message in order, once, then live ones", async function () {
    this.timeout(120_000);
    const [alice, bob, carol] = await Promise.all([newUser("alice"), newUser("bob"), newUser("carol")]);
    const m0 = await restSend(alice, bob, "m0");
    const backlog = 1_100;
    for (let i = 0; i < backlog; i += 50) {
      // Two senders, so that the backlog interleaves sent and received mail of several peers.
      await Promise.all(Array.from({ length: 50 }, (_, j) => restSend(j % 2 ? alice : carol, bob, `b${i + j}`, `b${i + j}`)));
    }
    const again = await track(inbox(bob, { since_id: m0.body.id }));
    await eventually(() => again.messages.length === backlog, "the whole backlog", 60_000);
    await restSend(alice, bob, "live");
    await eventually(() => again.messages.length === backlog + 1, "the live message");
    const ids = again.messages.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, "no message twice");
    assert.equal(again.messages.at(-1).content, "live");
    // Each conversation arrives in its stored order (REST lists it newest first).
    for (const peer of [alice, carol]) {
      const stored: string[] = [];
      for (let offset = 0; ; offset += 100) {
        const res = await api("GET", `/api/v1/messages/dm/${peer.id}?limit=100&offset=${offset}`, { token: bob.token });
        stored.push(...res.body.items.map((m: { id: string }) => m.id));
        if (res.body.items.length < 100) break;
      }
      const received = again.messages.filter((m) => m.sender_id === peer.id && m.id !== m0.body.id).map((m) => m.id);
      assert.deepEqual(received, stored.reverse().filter((id) => id !== m0.body.id), `the conversation with ${peer.username} in stored order`);
    }
  });

  it("a second device resuming into a live inbox gets its backlog once, and both devices share live messages once", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const phone = await track(inbox(bob));
    const m1 = await restSend(alice, bob, "m1");
    await restSend(alice, bob, "m2");
    await restSend(bob, alice, "m3");
    await eventually(() => phone.messages.length === 3, "the phone's deliveries");
    const laptop = await track(inbox(bob, { since_id: m1.body.id }));
    assert.equal(laptop.room.roomId, phone.room.roomId);
    await eventually(() => laptop.messages.length === 2, "the laptop's backlog");
    await restSend(alice, bob, "m4");
    await eventually(() => laptop.messages.length === 3 && phone.messages.length === 4, "m4 on both devices");
    assert.deepEqual(contents(laptop), ["m2", "m3", "m4"]);
    assert.deepEqual(contents(phone), ["m1", "m2", "m3", "m4"]);
  });

  it("the same client_msg_id sent 10 times in parallel over REST and the inbox is stored once and delivered once", async function () {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const aliceInbox = await track(inbox(alice));
    const bobInbox = await track(inbox(bob));
    const rest = Array.from({ length: 10 }, () => restSend(alice, bob, "exactly once", "dup-1"));
    for (let i = 0; i < 10; i++) aliceInbox.room.send("dm", { recipient_id: bob.id, content: "exactly once", client_msg_id: "dup-1" });
    const answers = await Promise.all(rest);
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    assert.ok(answers.filter((a) => a.status === 201).length <= 1);
    assert.ok(answers.every((a) => a.status === 201 || a.status === 200));
    await eventually(() => bobInbox.messages.length === 1, "the delivery");
    await restSend(alice, bob, "after");
    await eventually(() => bobInbox.messages.length === 2, "the next message");
    assert.deepEqual(contents(bobInbox), ["exactly once", "after"]);
    const history = await api("GET", `/api/v1/messages/dm/${bob.id}`, { token: alice.token });
    assert.equal(history.body.total, 2);
    assert.equal(aliceInbox.errors.length, 0);
  });

  it("1,000 messages sent in parallel by several clients are stored once and reach every receiver in stored order", async function () {
    this.timeout(120_000);
    const senders = await Promise.all([1, 2, 3, 4].map(() => newUser("sender")));
    const receivers = await Promise.all([1, 2].map(() => newUser("receiver")));
    const inboxes = await Promise.all([...senders, ...receivers].map((u) => track(inbox(u))));
    const receiverInboxes = inboxes.slice(senders.length);
    const channels = await Promise.all(senders.map((s) => track(channel(receivers[0]!, s))));

    // Each sender keeps 16 requests in flight (64 in all): parallel, without exhausting sockets.
    let next = 0;
    const worker = async (from: TestUser, lane: number) => {
      for (let i = next++; i < 1000; i = next++) {
        const to = receivers[(i + lane) % receivers.length]!;
        const res = await restSend(from, to, `n${i}`, `cm-${i}`);
        assert.equal(res.status, 201);
      }
    };
    await Promise.all(senders.flatMap((s) => Array.from({ length: 16 }, (_, lane) => worker(s, lane))));

    await eventually(() => receiverInboxes.reduce((n, l) => n + l.messages.length, 0) >= 1000, "every delivery", 60_000);
    for (const [i, receiver] of receivers.entries()) {
      const live = receiverInboxes[i]!;
      assert.equal(new Set(live.messages.map((m) => m.id)).size, live.messages.length);
      let stored = 0;
      for (const sender of senders) {
        const history = (await allHistory(receiver, sender)).reverse().map((m) => m.id);
        stored += history.length;
        assert.deepEqual(live.messages.filter((m) => m.sender_id === sender.id).map((m) => m.id), history);
      }
      assert.equal(stored, live.messages.length);
    }
    // Every client_msg_id was stored exactly once.
    const all = receiverInboxes.flatMap((l) => l.messages.map((m) => m.client_msg_id));
    assert.equal(all.length, 1000);
    assert.equal(new Set(all).size, 1000);
    for (const [i, sender] of senders.entries()) {
      const echoes = inboxes[i]!;
      const sent = receiverInboxes.flatMap((l) => l.messages).filter((m) => m.sender_id === sender.id).length;
      await eventually(() => echoes.messages.length === sent, "the sender's echoes", 30_000);
      for (const receiver of receivers) {
        const pair = (await allHistory(receiver, sender)).reverse().map((m) => m.id);
        assert.deepEqual(echoes.messages.filter((m) => m.recipient_id === receiver.id).map((m) => m.id), pair);
      }
      const ch = channels[i]!;
      const pair = (await allHistory(receivers[0]!, sender)).reverse().map((m) => m.id);
      await eventually(() => ch.messages.length === pair.length, "the channel deliveries", 30_000);
      assert.deepEqual(ch.messages.map((m) => m.id), pair);
    }
  });

  it("a client over the message budget is disconnected with 4002", async () => {
    const [alice] = await Promise.all([newUser("alice")]);
    const aliceInbox = await track(inbox(alice));
    for (let i = 0; i < 60; i++) aliceInbox.room.send("ping", {});
    assert.equal(await aliceInbox.closed, 4002);
  });

  it("logout closes the user's inbox with 4401", async () => {
    const alice = await newUser("alice");
    const aliceInbox = await track(inbox(alice));
    assert.equal((await api("POST", "/api/v1/auth/logout", { token: alice.token })).status, 204);
    assert.equal(await aliceInbox.closed, 4401);
  });
});

async function allHistory(me: TestUser, peer: TestUser): Promise<any[]> {
  const items: any[] = [];
  for (let offset = 0; ; offset += 100) {
    const res = await api("GET", `/api/v1/messages/dm/${peer.id}?limit=100&offset=${offset}`, { token: me.token });
    items.push(...res.body.items);
    if (items.length >= res.body.total) return items;
  }
}
