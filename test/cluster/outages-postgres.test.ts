import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import type { Room } from "@colyseus/sdk";
import { adminUser, api } from "../support/api";
import type { Backend } from "../support/backend";
import { closedWith, clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, startNode, type Player } from "../support/cluster";
import { startOwnPostgres, type OwnPostgres } from "../support/own-postgres";
import { balanceOf, grant } from "../support/payments";
import type { ServerProcess } from "../support/process";
import { startTcpProxy } from "../support/tcp-proxy";

/**
 * Postgres going away under two processes with DMs flowing, a COMMIT whose answer is
 * lost, and a process told to stop with requests in flight. The database is one of the
 * test's own (it is stopped and started here), reached through a proxy that can drop a
 * connection right after a COMMIT; presence is the shared Redis.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The simple-protocol message `COMMIT` as node-postgres sends it. */
const COMMIT_MESSAGE = (() => {
  const text = Buffer.from("COMMIT\0");
  const length = Buffer.alloc(4);
  length.writeInt32BE(4 + text.length);
  return Buffer.concat([Buffer.from("Q"), length, text]);
})();

interface Inbox {
  room: Room;
  received: { id: string; client_msg_id: string | null; content: string }[];
}

async function joinInbox(server: ServerProcess, user: Player): Promise<Inbox> {
  const room = await connect(server, user.token).joinOrCreate("inbox", {});
  const inbox: Inbox = { room, received: [] };
  room.onMessage("*", (type: string | number, data: any) => {
    if (type === "message") inbox.received.push(data);
  });
  return inbox;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  code?: string;
  ms: number;
}

/**
 * A careful client: sends one DM under its own `client_msg_id` until it is acknowledged
 * (201, or 200 for one already stored), waiting as `Retry-After` says on a 503 and
 * retrying after a network failure. Anything else fails the test.
 */
async function sendCarefully(node: ServerProcess, from: Player, to: Player, content: string, answers: Answer[]): Promise<{ id: string; client_msg_id: string }> {
  const clientMsgId = crypto.randomUUID();
  for (;;) {
    const started = performance.now();
    let res;
    try {
      res = await api("POST", "/api/v1/messages/dm", { base: node.url, token: from.token, body: { recipient_id: to.id, content, client_msg_id: clientMsgId } });
    } catch {
      await sleep(100);
      continue;
    }
    answers.push({ status: res.status, retryAfter: res.headers.get("retry-after"), code: res.body?.code, ms: performance.now() - started });
    if (res.status === 201 || res.status === 200) return res.body;
    if (res.status !== 503) throw new Error(`unexpected answer ${res.status}: ${JSON.stringify(res.body)}`);
    // Retry-After is in seconds; a test waits a fraction of it to keep the outage short.
    await sleep(200);
  }
}

const linesOf = (server: ServerProcess, msg: string) =>
  server
    .output()
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`));

describe("outages: Postgres and shutdown", function () {
  let backend: Backend;
  let pg: OwnPostgres;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let a: ServerProcess;
  let b: ServerProcess;
  const rooms: Room[] = [];

  before(async function () {
    backend = await clusterBackend();
    pg = await startOwnPostgres();
    proxy = await startTcpProxy({ host: "127.0.0.1", port: pg.port });
    const env = {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
      LOG_LEVEL: "info",
      RATE_LIMIT_DM_PER_MINUTE: "100000",
      // A chat reply of the built-in generator takes seconds: a request still in flight at SIGTERM.
      GENERATOR_PACE_MS: "60",
    };
    [a, b] = await Promise.all([startNode(backend, env), startNode(backend, env)]);
  });

  afterEach(async function () {
    // What the processes logged is what explains a failure here.
    if (this.currentTest?.state === "failed") {
      for (const [name, node] of Object.entries({ a, b })) process.stdout.write(`--- process ${name}, last lines:\n${node?.output().split("\n").slice(-40).join("\n")}\n`);
    }
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await proxy?.close();
    await pg?.dispose();
    await backend?.dispose();
  });

  it("Postgres down for seconds under DM traffic: fast 503 with Retry-After, recovery, no acknowledged message lost or duplicated, one error line per outage", async () => {
    const senders = await Promise.all([0, 1, 2].map(() => newPlayer(a.url, clusterName("pgs"))));
    const recipients = await Promise.all([0, 1, 2].map(() => newPlayer(b.url, clusterName("pgr"))));
    const inboxes = await Promise.all(recipients.map((r) => joinInbox(b, r)));
    rooms.push(...inboxes.map((i) => i.room));
    const spenders = await Promise.all([0, 1, 2].map(() => newPlayer(a.url, clusterName("pgp"))));
    const admin = await adminUser(a.url);
    await Promise.all(spenders.map((s) => grant(admin.token, s.id, 100, a.url)));

    const answers: Answer[] = [];
    const acknowledged: { recipient: number; client_msg_id: string }[] = [];
    let sending = true;
    // Each sender sends one message after another, through either process.
    const flows = senders.map(async (sender, i) => {
      for (let n = 0; sending; n++) {
        const message = await sendCarefully(n % 2 ? b : a, sender, recipients[i]!, `m${n}`, answers);
        acknowledged.push({ recipient: i, client_msg_id: message.client_msg_id });
        await sleep(30);
      }
    });

    await sleep(1500);
    await pg.stop();
    const stoppedAt = performance.now();
    await sleep(300);
    // While it is down: a request is answered 503 with Retry-After at once, and /readyz says why.
    const probeStarted = performance.now();
    const probe = await api("POST", "/api/v1/messages/dm", { base: a.url, token: senders[0]!.token, body: { recipient_id: recipients[0]!.id, content: "probe" } });
    const probeMs = performance.now() - probeStarted;
    assert.equal(probe.status, 503, JSON.stringify(probe.body));
    assert.equal(probe.body.code, "service_unavailable");
    assert.match(probe.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.ok(probeMs < 1000, `answered in ${Math.round(probeMs)} ms`);
    // Point uses arriving together (one batched statement) are each answered 503 at once, and spend nothing.
    const spendsStarted = performance.now();
    const spends = await Promise.all(
      spenders.flatMap((s) => [1, 2, 3].map((n) => api("POST", "/api/v1/point/use", { base: a.url, token: s.token, body: { amount: 10, reason: `outage ${n}` } }))),
    );
    assert.deepEqual(spends.map((r) => [r.status, r.body.code, Number(r.headers.get("retry-after")) >= 1]), Array(9).fill([503, "service_unavailable", true]));
    assert.ok(performance.now() - spendsStarted < 1000, "point uses answered at once");
    const readyStarted = performance.now();
    const ready = await api("GET", "/readyz", { base: b.url });
    assert.ok(performance.now() - readyStarted < 1000, "/readyz answers at once");
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.database, "down");
    // Rooms say the same: a join that needs the database is refused 503, a room message answered `error`.
    const latecomer = await connect(b, senders[1]!.token)
      .joinOrCreate("inbox", {})
      .then(
        (room) => room,
        (err: { code?: number; message?: string }) => err,
      );
    assert.deepEqual([(latecomer as { code?: number }).code, (latecomer as Error).message], [503, "service_unavailable"]);
    const refused = new Promise<{ code: string; retry_after?: number }>((resolve) => inboxes[0]!.room.onMessage("error", resolve));
    inboxes[0]!.room.send("dm", { recipient_id: senders[0]!.id, content: "from the inbox", client_msg_id: crypto.randomUUID() });
    assert.deepEqual(await refused, { code: "service_unavailable", message: "The database is unavailable; try again shortly.", retry_after: 2 });
    await sleep(2000);

    await pg.start();
    const restartedAt = performance.now();
    // Back within a few seconds: a send is acknowledged again.
    await eventually(async () => (await api("GET", "/readyz", { base: a.url })).status === 200, "process a ready again", 5_000);
    for (const s of spenders) assert.equal(await balanceOf(s.token, a.url), 100);
    const before = acknowledged.length;
    await eventually(() => acknowledged.length > before + 3, "sends acknowledged again", 5_000);
    const recoveredMs = performance.now() - restartedAt;
    await sleep(1000);
    sending = false;
    await Promise.all(flows);

    const outage = answers.filter((x) => x.status === 503);
    assert.ok(outage.length > 0, "the outage was seen by the senders");
    // outcome_unknown: a send whose COMMIT was under way when Postgres stopped; its retry settled it.
    const unexpected = outage.filter((x) => !["service_unavailable", "outcome_unknown"].includes(x.code!) || !(Number(x.retryAfter) >= 1));
    assert.deepEqual(unexpected, []);
    assert.ok(answers.every((x) => [200, 201, 503].includes(x.status)), "no other answer than stored or unavailable");

    // Every acknowledged message reached its recipient's inbox, once.
    await eventually(
      () => acknowledged.every((ack) => inboxes[ack.recipient]!.received.some((m) => m.client_msg_id === ack.client_msg_id)),
      "every acknowledged message delivered",
      10_000,
    );
    for (const inbox of inboxes) {
      const ids = inbox.received.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, "no message delivered twice");
    }
    for (const [i, sender] of senders.entries()) {
      const history = await api("GET", `/api/v1/messages/dm/${recipients[i]!.id}?limit=100`, { base: a.url, token: sender.token });
      const keys = history.body.items.map((m: { client_msg_id: string }) => m.client_msg_id);
      assert.equal(new Set(keys).size, keys.length, "each message stored once");
      const mine = acknowledged.filter((ack) => ack.recipient === i).map((ack) => ack.client_msg_id);
      assert.deepEqual(new Set(keys), new Set(mine), "the store holds exactly what was acknowledged");
    }

    // One error line per process for the outage, one line for its end, no stack per request.
    for (const node of [a, b]) {
      assert.ok(linesOf(node, "database unreachable").length <= 1, node.output());
      assert.equal(linesOf(node, "database reachable again").length, linesOf(node, "database unreachable").length);
      assert.deepEqual(linesOf(node, "unhandled error"), []);
      assert.deepEqual(
        node
          .output()
          .split("\n")
          .filter((l) => l.includes('"level":50') && !l.includes('"msg":"database unreachable"')),
        [],
        "no other error line",
      );
    }
    assert.equal(linesOf(a, "database unreachable").length, 1, "the process serving requests saw the outage");
    process.stdout.write(
      `      ${acknowledged.length} acknowledged, ${outage.length} answered 503 (slowest ${Math.round(Math.max(...outage.map((x) => x.ms)))} ms), ` +
        `down ${Math.round(restartedAt - stoppedAt)} ms, sending again ${Math.round(recoveredMs)} ms after restart\n`,
    );
  });

  it("a COMMIT whose answer is lost is answered 503 outcome_unknown; the retry under the same client_msg_id returns the stored message, delivered once", async () => {
    const [alice, bob] = await Promise.all([newPlayer(a.url, clusterName("cua")), newPlayer(b.url, clusterName("cub"))]);
    const inbox = await joinInbox(b, bob);
    rooms.push(inbox.room);
    const body = { recipient_id: bob.id, content: "did it land?", client_msg_id: crypto.randomUUID() };

    const cut = proxy.cutAfter(COMMIT_MESSAGE);
    const first = await api("POST", "/api/v1/messages/dm", { base: a.url, token: alice.token, body });
    await cut;
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.equal(first.body.code, "outcome_unknown");
    assert.match(first.headers.get("retry-after") ?? "", /^[1-9]\d*$/);

    const retry = await api("POST", "/api/v1/messages/dm", { base: a.url, token: alice.token, body });
    assert.equal(retry.status, 200, "already stored: the first send's COMMIT went through");
    assert.equal(retry.body.client_msg_id, body.client_msg_id);
    const again = await api("POST", "/api/v1/messages/dm", { base: b.url, token: alice.token, body });
    assert.equal(again.body.id, retry.body.id, "the same message whichever process answers");

    await eventually(() => inbox.received.some((m) => m.id === retry.body.id), "the stored message reaches the inbox", 5_000);
    await sleep(300);
    assert.equal(inbox.received.filter((m) => m.id === retry.body.id).length, 1, "delivered once");
    const history = await api("GET", `/api/v1/messages/dm/${bob.id}`, { base: a.url, token: alice.token });
    assert.equal(history.body.items.filter((m: { client_msg_id: string }) => m.client_msg_id === body.client_msg_id).length, 1);
  });

  it("SIGTERM answers the request in flight in full with Connection: close, tells room clients 4001, exits 0; the client rejoins through the other process", async () => {
    const player = await newPlayer(a.url, clusterName("sig"));
    const chat = await api("POST", "/api/v1/chat/start", { base: a.url, token: player.token, body: { character_id: player.characterId } });
    assert.equal(chat.status, 200, JSON.stringify(chat.body));
    const inbox = await joinInbox(a, player);
    const left = closedWith(inbox.room);
    // The process to stop is the one the inbox lives on; its clients go to the other.
    const dying = hostOf(inbox.room, [a, b]);
    const other = dying === a ? b : a;

    // A slow request on a kept-alive connection: the built-in generator writes the reply word by word.
    const agent = new http.Agent({ keepAlive: true });
    const inFlight = new Promise<{ status: number; connection?: string; body: any }>((resolve, reject) => {
      const req = http.request(
        `${dying.url}/api/v1/chat/message`,
        { method: "POST", agent, headers: { authorization: `Bearer ${player.token}`, "content-type": "application/json" } },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ room_id: chat.body.room_id, character_id: player.characterId, content: "Tell me a long story about the tavern." }));
    });
    await sleep(500);
    const exited = dying.stop("SIGTERM");
    await sleep(300);
    await assert.rejects(fetch(`${dying.url}/healthz`), "a closing process accepts no new connection");

    const answer = await inFlight;
    agent.destroy();
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(answer.body.character_message?.text?.length > 0, "the whole reply");
    assert.equal(answer.connection, "close", "a closing server keeps no connection alive");
    assert.equal(await left, 4001, "room clients are told the server shut down");
    assert.equal(await exited, 0);
    const drain = linesOf(dying, "shutting down: draining requests in flight").map((l) => JSON.parse(l));
    assert.equal(drain[0]?.requests, 1, "the request was in flight when the signal came");
    assert.match(dying.output(), /"msg":"shutdown complete"/);
    assert.doesNotMatch(dying.output(), /still in flight/);

    // The stock SDK joins again through another process (a load balancer would route it there).
    const rejoined = await eventually(async () => joinInbox(other, player).catch(() => undefined), "inbox rejoined through the other process", 10_000);
    rooms.push(rejoined.room);
    assert.ok(rejoined.room.roomId);
  });
});
