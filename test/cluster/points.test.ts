import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { adminUser, api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, newPlayers, startNode } from "../support/cluster";
import { balanceOf, grant, postWebhook } from "../support/payments";
import type { ServerProcess } from "../support/process";

describe("points across processes", function () {
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

  it("a grant, a use and a paid webhook on one process reach the user's inbox living on the other", async () => {
    const user = await newPlayer(a.url, clusterName("ptn"));
    const inbox = await connect(a, user.token).joinOrCreate("inbox", {});
    rooms.push(inbox);
    const seen: { kind: string; data: any }[] = [];
    inbox.onMessage("notification", (n) => seen.push(n));
    const other = hostOf(inbox, [a, b]) === a ? b : a;

    const admin = await adminUser(other.url);
    await grant(admin.token, user.id, 100, other.url);
    const used = await api("POST", "/api/v1/point/use", { base: other.url, token: user.token, body: { amount: 30, reason: "cross" } });
    assert.equal(used.status, 200);
    const product = await api("POST", "/api/v1/admin/products", { base: other.url, token: admin.token, body: { name: "Cross pack", points: 5, price_cents: 100, currency: "USD" } });
    const order = await api("POST", "/api/v1/payment/checkout", { base: other.url, token: user.token, body: { product_id: product.body.id } });
    const event = { order_id: order.body.order_id, status: "paid" as const, amount_cents: 100, currency: "USD", provider_payment_id: "pp_cross" };
    assert.deepEqual((await postWebhook(event, { base: other.url })).body, { result: "processed" });

    await eventually(() => seen.length >= 4, "four notifications", 10_000);
    assert.deepEqual(
      seen.map((n) => [n.kind, n.data.balance]),
      [["points_changed", 100], ["points_changed", 70], ["points_changed", 75], ["payment_completed", 75]],
    );
  });

  it("uses on both processes at once on one balance: exactly as many succeed as it holds, and it ends at 0", async () => {
    const user = await newPlayer(a.url, clusterName("ptc"));
    const admin = await adminUser(a.url);
    await grant(admin.token, user.id, 500, a.url);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api("POST", "/api/v1/point/use", { base: (i % 2 ? a : b).url, token: user.token, body: { amount: 10, reason: `c${i}` } }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 50);
    assert.equal(results.filter((r) => r.status === 409).length, 50);
    assert.equal(await balanceOf(user.token, b.url), 0);
    const audit = await api("GET", "/api/v1/admin/points/verify", { base: b.url, token: admin.token });
    assert.deepEqual(audit.body.mismatches, []);
  });

  it("20 users spending on both processes at once, whose uses each process batches: each spends exactly its 100 and the audit is clean", async () => {
    const users = await newPlayers([a.url, b.url], 20, "ptm");
    const admin = await adminUser(a.url);
    await Promise.all(users.map((u) => grant(admin.token, u.id, 100, a.url)));
    // 14 uses of 10 per user, alternating processes: 10 fit, 4 do not.
    const results = await Promise.all(
      Array.from({ length: 14 }, (_, round) =>
        users.map((u, i) =>
          api("POST", "/api/v1/point/use", { base: ((round + i) % 2 ? a : b).url, token: u.token, body: { amount: 10, reason: `m${round}` } }).then((r) => ({ u, r })),
        ),
      ).flat(),
    );
    for (const user of users) {
      const mine = results.filter((x) => x.u === user).map((x) => x.r.status);
      assert.deepEqual([mine.filter((s) => s === 200).length, mine.filter((s) => s === 409).length], [10, 4], user.username);
      assert.equal(await balanceOf(user.token, b.url), 0);
    }
    const audit = await api("GET", "/api/v1/admin/points/verify", { base: b.url, token: admin.token });
    assert.deepEqual(audit.body.mismatches, []);
  });
});
