import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, startNode, type Player } from "../support/cluster";
import { startOwnRedis, type OwnRedis } from "../support/own-redis";
import type { ServerProcess } from "../support/process";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request of a careful client: what it was answered, and how long that took. */
interface Attempt {
  status: number;
  code?: string;
  retryAfter: string | null;
  started: number;
  ms: number;
}

/**
 * A careful client's send: retries with the same client_msg_id until it is acknowledged
 * (201, or 200 for a repeat), recording every attempt. Gives up on a request after 5 s,
 * as a client would; a request that hangs that long is recorded with status 0.
 */
async function sendCarefully(base: string, from: Player, to: Player, content: string, attempts: Attempt[]): Promise<string> {
  const clientMsgId = crypto.randomUUID();
  for (;;) {
    const started = Date.now();
    try {
      const res = await fetch(`${base}/api/v1/messages/dm`, {
        method: "POST",
        headers: { authorization: `Bearer ${from.token}`, "content-type": "application/json" },
        body: JSON.stringify({ recipient_id: to.id, content, client_msg_id: clientMsgId }),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { code?: string };
      attempts.push({ status: res.status, code: body.code, retryAfter: res.headers.get("retry-after"), started, ms: Date.now() - started });
      if (res.status === 201 || res.status === 200) return clientMsgId;
    } catch {
      attempts.push({ status: 0, retryAfter: null, started, ms: Date.now() - started });
    }
    await sleep(100);
  }
}

/** Every message of the pair as `reader` pages through it. */
async function historyOf(base: string, reader: Player, peer: Player): Promise<{ client_msg_id: string | null }[]> {
  const items: { client_msg_id: string | null }[] = [];
  for (let offset = 0; ; offset += 100) {
    const res = await api("GET", `/api/v1/messages/dm/${peer.id}?limit=100&offset=${offset}`, { base, token: reader.token });
    assert.equal(res.status, 200);
    items.push(...res.body.items);
    if (res.body.items.length < 100) return items;
  }
}

describe("Redis outages: fail fast with 503, come back whole", function () {
  let backend: Backend;
  let redis: OwnRedis;
  let nodes: ServerProcess[] = [];
  const rooms: Room[] = [];

  before(async function () {
    backend = await clusterBackend();
    redis = await startOwnRedis();
    // error level: the outage's one log line is part of what is checked.
    const env = { REDIS_URL: redis.url, LOG_LEVEL: "error" };
    nodes = await Promise.all([startNode(backend, env), startNode(backend, env)]);
  });

  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => (r.connection.isOpen ? r.leave().catch(() => undefined) : undefined)));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.kill();
    await backend?.dispose();
  });

  /** Kills Redis for `downMs`, running `during` meanwhile; it comes back empty, whatever `during` did. */
  async function outage(downMs: number, during: () => Promise<void> = async () => {}): Promise<number> {
    await redis.kill();
    try {
      await Promise.all([during(), sleep(downMs)]);
    } finally {
      await redis.start();
    }
    return Date.now();
  }

  it("DMs flowing through both processes: 503 with Retry-After at once while Redis is down, sends again within seconds after, none lost or doubled", async () => {
    const [a, b] = nodes;
    const [sender, recipient, bystander] = await Promise.all([newPlayer(a!.url, clusterName("rs")), newPlayer(b!.url, clusterName("rr")), newPlayer(a!.url, clusterName("rb"))]);
    const bystanderInbox = await connect(a!, bystander.token).joinOrCreate("inbox", {});
    rooms.push(bystanderInbox);
    const roomErrors: { code: string; retry_after?: number }[] = [];
    bystanderInbox.onMessage("error", (e: { code: string; retry_after?: number }) => roomErrors.push(e));
    bystanderInbox.onMessage("*", () => {});
    const inbox = await connect(b!, recipient.token).joinOrCreate("inbox", {});
    rooms.push(inbox);
    const delivered = new Map<string, number>();
    inbox.onMessage("message", (m: { client_msg_id: string | null }) => {
      if (m.client_msg_id) delivered.set(m.client_msg_id, (delivered.get(m.client_msg_id) ?? 0) + 1);
    });
    inbox.onMessage("*", () => {});

    const attempts: Attempt[] = [];
    const acked: { id: string; at: number }[] = [];
    let sending = true;
    const senders = nodes.map(async (node, i) => {
      for (let n = 0; sending; n++) {
        const id = await sendCarefully(node.url, sender, recipient, `m${i}-${n}`, attempts);
        acked.push({ id, at: Date.now() });
        await sleep(40);
      }
    });

    await sleep(1500);
    const readyz: { status: number; ms: number }[] = [];
    const joins: { status: number; code?: string; ms: number }[] = [];
    const logins: { status: number; code?: string; ms: number }[] = [];
    let roomAnswerMs = Infinity;
    const killed = Date.now();
    const back = await outage(3000, async () => {
      await sleep(300);
      for (const node of nodes) {
        const started = Date.now();
        const res = await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(5000) });
        readyz.push({ status: res.status, ms: Date.now() - started });
        const joinStarted = Date.now();
        const join = await fetch(`${node.url}/matchmake/joinOrCreate/inbox`, {
          method: "POST",
          headers: { authorization: `Bearer ${bystander.token}`, "content-type": "application/json" },
          body: "{}",
          signal: AbortSignal.timeout(5000),
        });
        joins.push({ status: join.status, code: ((await join.json()) as { code?: string }).code, ms: Date.now() - joinStarted });
        // Login is rate-limited: its counters live in Redis.
        const loginStarted = Date.now();
        const login = await api("POST", "/api/v1/auth/login", { base: node.url, body: { username: bystander.username, password: "correct-horse-1" } });
        logins.push({ status: login.status, code: login.body.code, ms: Date.now() - loginStarted });
      }
      const sentAt = Date.now();
      bystanderInbox.send("dm", { recipient_id: sender.id, content: "during the outage", client_msg_id: crypto.randomUUID() });
      await eventually(() => roomErrors.length > 0, "the room's answer to a message sent during the outage", 2000);
      roomAnswerMs = Date.now() - sentAt;
    });
    const firstAfter = await eventually(() => acked.find((m) => m.at > back), "a send acknowledged after Redis is back", 10_000);
    await sleep(1500);
    sending = false;
    await Promise.all(senders);

    const duringOutage = attempts.filter((r) => r.started >= killed && r.started < back);
    assert.ok(duringOutage.length > 0, "the senders kept trying during the outage");
    for (const r of duringOutage) assert.ok(r.ms < 1000, `a request during the outage is answered within a second: ${JSON.stringify(r)}`);
    const refusals = attempts.filter((r) => r.status !== 201 && r.status !== 200);
    assert.ok(refusals.length > 0, "the outage was seen by the senders");
    for (const r of refusals) {
      assert.equal(r.status, 503, `every refusal is 503, not a hang (0) or a 500: ${JSON.stringify(r)}`);
      assert.equal(r.code, "service_unavailable");
      assert.match(r.retryAfter ?? "", /^\d+$/, "503 carries Retry-After");
      assert.ok(r.ms < 1000, `answered within a second: ${r.ms} ms`);
    }
    for (const r of readyz) {
      assert.equal(r.status, 503, "/readyz says not ready while Redis is down");
      assert.ok(r.ms < 1000, `/readyz answers at once: ${r.ms} ms`);
    }
    for (const j of [...joins, ...logins]) {
      assert.equal(j.status, 503, `a join or a login during the outage is refused 503: ${JSON.stringify(j)}`);
      assert.equal(j.code, "service_unavailable");
      assert.ok(j.ms < 1000, `refused at once: ${j.ms} ms`);
    }
    assert.equal(roomErrors[0]!.code, "service_unavailable", "a room message that needs Redis is answered service_unavailable");
    assert.ok(roomErrors[0]!.retry_after! >= 1);
    assert.ok(roomAnswerMs < 1000, `the room answers within a second: ${roomAnswerMs} ms`);
    assert.ok(firstAfter.at - back < 5000, `sends succeed again within seconds: ${firstAfter.at - back} ms`);

    // Stored: each acknowledged message exactly once, nothing unacknowledged besides.
    const stored = (await historyOf(a!.url, recipient, sender)).map((m) => m.client_msg_id);
    assert.equal(stored.length, acked.length, "as many messages stored as acknowledged");
    assert.deepEqual(new Set(stored), new Set(acked.map((m) => m.id)));
    // Delivered: a last message makes the inbox catch up on whatever a lost signal left out; none twice.
    acked.push({ id: await sendCarefully(a!.url, sender, recipient, "last", attempts), at: Date.now() });
    await eventually(() => acked.every((m) => delivered.has(m.id)), "every acknowledged message delivered to the inbox");
    assert.deepEqual([...delivered.values()].filter((n) => n !== 1), [], "no message delivered twice");

    for (const node of nodes) {
      assert.doesNotMatch(node.output(), /Unhandled error event/);
      assert.equal(node.output().match(/Redis unavailable/g)?.length, 1, "the outage is logged once per process");
    }
  });

  it("after Redis comes back empty, every live room is listed again and a second device joins the first one's room, through either process", async () => {
    const [a, b] = nodes;
    const user = await newPlayer(a!.url, clusterName("ru"));
    const first = await connect(a!, user.token).joinOrCreate("inbox", {});
    first.onMessage("*", () => {});
    rooms.push(first);
    const host = hostOf(first, nodes);
    const other = host === a ? b! : a!;

    const back = await outage(1500);
    const listings = new Redis(redis.url);
    try {
      await eventually(async () => (await listings.hexists("roomcaches", first.roomId)) === 1, "the room listed again", 5000);
    } finally {
      listings.disconnect();
    }
    assert.ok(Date.now() - back < 5000);
    // Each process reconnects on its own schedule; until the other one has, it rightly answers 503.
    await eventually(async () => (await fetch(`${other.url}/readyz`)).status === 200, "the other process ready again", 5000);

    const second = await connect(other, user.token).joinOrCreate("inbox", {});
    second.onMessage("*", () => {});
    rooms.push(second);
    assert.equal(second.roomId, first.roomId);
    assert.equal(hostOf(second, nodes), host, "the second device is seated in the live room, not in a twin on the other process");

    const friend = await newPlayer(other.url, clusterName("rf"));
    const got = [first, second].map((room) => new Promise<{ content: string }>((resolve) => room.onMessage("message", resolve)));
    assert.equal((await api("POST", "/api/v1/messages/dm", { base: other.url, token: friend.token, body: { recipient_id: user.id, content: "both" } })).status, 201);
    assert.deepEqual((await Promise.all(got)).map((m) => m.content), ["both", "both"]);
  });

  it("a live process that Redis forgot without an outage (its listings gone, as when another process swept it) lists its rooms again within seconds", async () => {
    const [a, b] = nodes;
    const user = await newPlayer(a!.url, clusterName("rg"));
    const first = await connect(a!, user.token).joinOrCreate("inbox", {});
    first.onMessage("*", () => {});
    rooms.push(first);
    const host = hostOf(first, nodes);
    const other = host === a ? b! : a!;
    const registry = new Redis(redis.url);
    try {
      const { processId } = JSON.parse((await registry.hget("roomcaches", first.roomId))!) as { processId: string };
      const sweptListings = (await registry.hgetall("roomcaches")) as Record<string, string>;
      const ofHost = Object.keys(sweptListings).filter((id) => JSON.parse(sweptListings[id]!).processId === processId);
      await registry.hdel("roomcount", processId);
      await registry.hdel("roomcaches", ...ofHost);
      await registry.del(`tavern:process:${processId}`);
      await eventually(async () => (await registry.hexists("roomcaches", first.roomId)) === 1, "the room listed again", 5000);
    } finally {
      registry.disconnect();
    }
    const second = await connect(other, user.token).joinOrCreate("inbox", {});
    second.onMessage("*", () => {});
    rooms.push(second);
    assert.equal(hostOf(second, nodes), host, "the second device is seated in the live room");
  });

  it("a rejoin after one process is SIGKILLed lands on the survivor in under a second", async () => {
    const [a] = nodes;
    const user = await newPlayer(a!.url, clusterName("rk"));
    const room = await connect(a!, user.token).joinOrCreate("inbox", {});
    room.onMessage("*", () => {});
    const killed = hostOf(room, nodes);
    const survivor = nodes.find((n) => n !== killed)!;

    await killed.stop("SIGKILL");
    const started = Date.now();
    const rejoined = await connect(survivor, user.token).joinOrCreate("inbox", {});
    const elapsed = Date.now() - started;
    rejoined.onMessage("*", () => {});
    rooms.push(rejoined);
    assert.equal(hostOf(rejoined, nodes), survivor);
    assert.ok(elapsed < 1000, `rejoined in ${elapsed} ms`);
  });
});
