import assert from "node:assert/strict";
import { adminUser, api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { balanceOf, checkout, grant, newProduct, postWebhook } from "../support/payments";
import { sdk } from "../support/server";

const use = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/point/use", { token: user.token, body });

async function ledger(user: TestUser) {
  const rows: { id: string; delta: number; balance_after: number; reason: string; ref: string | null }[] = [];
  for (let offset = 0; ; offset += 100) {
    const res = await api("GET", `/api/v1/point/transactions?limit=100&offset=${offset}`, { token: user.token });
    assert.equal(res.status, 200);
    rows.push(...res.body.items);
    if (rows.length >= res.body.total) return rows;
  }
}

/** The ledger of `user` sums to their balance, and each row's balance_after follows from the one before it. */
async function assertLedgerMatches(user: TestUser, balance: number) {
  const rows = (await ledger(user)).reverse();
  assert.equal(rows.reduce((sum, r) => sum + r.delta, 0), balance);
  let running = 0;
  for (const row of rows) {
    running += row.delta;
    assert.equal(row.balance_after, running);
    assert.ok(row.balance_after >= 0);
  }
}

describe("points: balance, use and grants", () => {
  let admin: { id: string; token: string };

  before(async () => {
    admin = await adminUser();
  });

  it("a new user has a balance of 0 and an empty ledger", async () => {
    const user = await newUser("pts");
    assert.equal(await balanceOf(user.token), 0);
    const res = await api("GET", "/api/v1/point/transactions", { token: user.token });
    assert.deepEqual(res.body, { items: [], total: 0, limit: 50, offset: 0 });
  });

  it("an admin grant adds points with a ledger row; using them takes them away; the ledger lists both, newest first", async () => {
    const user = await newUser("pts");
    const granted = await grant(admin.token, user.id, 300);
    assert.equal(granted.balance, 300);
    const used = await use(user, { amount: 120, reason: "a sword" });
    assert.equal(used.status, 200);
    assert.equal(used.body.balance, 180);
    assert.match(used.body.transaction_id, /^[0-9a-f-]{36}$/);
    assert.equal(await balanceOf(user.token), 180);
    const rows = await ledger(user);
    assert.deepEqual(
      rows.map((r) => ({ id: r.id, delta: r.delta, balance_after: r.balance_after, reason: r.reason, ref: r.ref })),
      [
        { id: used.body.transaction_id, delta: -120, balance_after: 180, reason: "a sword", ref: null },
        { id: granted.transaction_id, delta: 300, balance_after: 300, reason: "test grant", ref: `grant:${admin.id}` },
      ],
    );
  });

  it("using more than the balance is 409 insufficient_points and changes nothing", async () => {
    const user = await newUser("pts");
    await grant(admin.token, user.id, 50);
    const res = await use(user, { amount: 51, reason: "too much" });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, "insufficient_points");
    const empty = await newUser("pts");
    assert.equal((await use(empty, { amount: 1, reason: "nothing there" })).body.code, "insufficient_points");
    assert.equal(await balanceOf(user.token), 50);
    assert.equal((await ledger(user)).length, 1);
  });

  it("a use body is validated strictly: zero, negative, fractional, huge or string amounts and unknown fields are 400", async () => {
    const user = await newUser("pts");
    await grant(admin.token, user.id, 10);
    for (const body of [
      { amount: 0, reason: "x" },
      { amount: -5, reason: "x" },
      { amount: 1.5, reason: "x" },
      { amount: 1e12, reason: "x" },
      { amount: "5", reason: "x" },
      { amount: 5 },
      { amount: 5, reason: "   " },
      { amount: 5, reason: "x", idempotency_key: "" },
      { amount: 5, reason: "x", balance: 1_000_000 },
      { amount: 5, reason: "nul\u0000" },
    ]) {
      const res = await use(user, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, "validation_failed");
    }
    assert.equal((await api("POST", "/api/v1/point/use", { body: { amount: 1, reason: "x" } })).status, 401);
    assert.equal(await balanceOf(user.token), 10);
  });

  it("a grant is admin-only, to an existing user, of a positive amount", async () => {
    const user = await newUser("pts");
    const asPlayer = await api("POST", "/api/v1/admin/points/grant", { token: user.token, body: { user_id: user.id, amount: 10, reason: "me" } });
    assert.equal(asPlayer.status, 403);
    const unknown = await api("POST", "/api/v1/admin/points/grant", {
      token: admin.token,
      body: { user_id: "00000000-0000-4000-8000-000000000000", amount: 10, reason: "ghost" },
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.detail, "user not found");
    const negative = await api("POST", "/api/v1/admin/points/grant", { token: admin.token, body: { user_id: user.id, amount: -10, reason: "take" } });
    assert.equal(negative.status, 400);
    assert.equal(await balanceOf(user.token), 0);
  });

  it("200 parallel uses of 10 on a balance of 1,000 leave exactly 0: 100 succeed, 100 are insufficient_points", async function () {
    this.timeout(60_000);
    const user = await newUser("race");
    await grant(admin.token, user.id, 1000);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => use(user, { amount: 10, reason: `race ${i}` })));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 409 && r.body.code === "insufficient_points");
    assert.equal(ok.length, 100);
    assert.equal(refused.length, 100);
    assert.deepEqual(ok.map((r) => r.body.balance).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i * 10));
    assert.equal(await balanceOf(user.token), 0);
    await assertLedgerMatches(user, 0);
  });

  it("30 users spending at once, 8 uses of 10 each on balances of 50: each gets exactly 5 and ends at 0 with a matching ledger", async function () {
    this.timeout(60_000);
    const users = await Promise.all(Array.from({ length: 30 }, () => newUser("many")));
    await Promise.all(users.map((u) => grant(admin.token, u.id, 50)));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, round) => users.map((u) => use(u, { amount: 10, reason: `many ${round}` }).then((r) => ({ u, r })))).flat(),
    );
    for (const user of users) {
      const mine = results.filter((x) => x.u === user).map((x) => x.r);
      const ok = mine.filter((r) => r.status === 200);
      assert.equal(ok.length, 5, user.username);
      assert.equal(mine.filter((r) => r.status === 409 && r.body.code === "insufficient_points").length, 3, user.username);
      assert.deepEqual(ok.map((r) => r.body.balance).sort((a, b) => a - b), [0, 10, 20, 30, 40]);
    }
    await Promise.all(users.map(async (u) => {
      assert.equal(await balanceOf(u.token), 0);
      await assertLedgerMatches(u, 0);
    }));
  });

  it("a repeated idempotency key among other users' parallel uses answers its first result, and the others still spend", async function () {
    this.timeout(60_000);
    const [keyed, ...others] = await Promise.all(Array.from({ length: 21 }, () => newUser("idem")));
    await Promise.all([keyed!, ...others].map((u) => grant(admin.token, u.id, 100)));
    const body = { amount: 30, reason: "first", idempotency_key: "batch-key" };
    const first = await use(keyed!, body);
    assert.equal(first.status, 200);
    const results = await Promise.all([
      ...Array.from({ length: 3 }, () => use(keyed!, body)),
      ...others.map((u) => use(u, { amount: 25, reason: "beside a repeat" })),
    ]);
    assert.deepEqual(results.map((r) => r.status), Array(results.length).fill(200));
    for (const repeat of results.slice(0, 3)) assert.deepEqual(repeat.body, first.body);
    assert.deepEqual(results.slice(3).map((r) => r.body.balance), Array(others.length).fill(75));
    assert.equal(await balanceOf(keyed!.token), 70);
    await assertLedgerMatches(keyed!, 70);
    await Promise.all(others.map((u) => assertLedgerMatches(u, 75)));
  });

  it("grants, uses and paid webhooks interleaved lose nothing and never go below zero", async function () {
    this.timeout(60_000);
    const user = await newUser("mix");
    const product = await newProduct(admin.token, { points: 70, price_cents: 300 });
    const orders = await Promise.all(Array.from({ length: 10 }, () => checkout(user.token, product.id)));
    await grant(admin.token, user.id, 100);
    const work: Promise<{ kind: string; status: number }>[] = [];
    for (let i = 0; i < 30; i++) {
      work.push(grant(admin.token, user.id, 5).then(() => ({ kind: "grant", status: 200 })));
      work.push(use(user, { amount: 25, reason: `mix ${i}` }).then((r) => ({ kind: "use", status: r.status })));
      if (i < orders.length) {
        const o = orders[i]!;
        const event = { order_id: o.order_id, status: "paid" as const, amount_cents: 300, currency: "USD", provider_payment_id: `pp_${i}` };
        work.push(postWebhook(event).then((r) => ({ kind: "webhook", status: r.status })));
      }
    }
    const done = await Promise.all(work);
    assert.ok(done.every((d) => d.status === 200 || (d.kind === "use" && d.status === 409)), JSON.stringify(done.filter((d) => d.status !== 200)));
    const uses = done.filter((d) => d.kind === "use" && d.status === 200).length;
    const expected = 100 + 30 * 5 + 10 * 70 - uses * 25;
    assert.ok(expected >= 0);
    assert.equal(await balanceOf(user.token), expected);
    await assertLedgerMatches(user, expected);
  });

  it("the same idempotency key sent 10 times in parallel spends once, and every call returns the first result", async () => {
    const user = await newUser("idem");
    await grant(admin.token, user.id, 100);
    const body = { amount: 30, reason: "potion", idempotency_key: "order-42" };
    const results = await Promise.all(Array.from({ length: 10 }, () => use(user, body)));
    assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
    const ids = new Set(results.map((r) => r.body.transaction_id));
    assert.equal(ids.size, 1);
    assert.deepEqual(new Set(results.map((r) => r.body.balance)), new Set([70]));
    assert.equal(await balanceOf(user.token), 70);
    // Later repeats too, even after the balance moved on.
    await use(user, { amount: 60, reason: "other" });
    const later = await use(user, body);
    assert.deepEqual(later.body, results[0]!.body);
    assert.equal(await balanceOf(user.token), 10);
    await assertLedgerMatches(user, 10);
  });

  it("a key that spent the whole balance still answers its first result, not insufficient_points", async () => {
    const user = await newUser("idem");
    await grant(admin.token, user.id, 30);
    const body = { amount: 30, reason: "everything", idempotency_key: "all-in" };
    const results = await Promise.all(Array.from({ length: 10 }, () => use(user, body)));
    assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
    assert.equal(new Set(results.map((r) => r.body.transaction_id)).size, 1);
    assert.equal(await balanceOf(user.token), 0);
  });

  it("keys are per user, and a key reused for a different amount is 409 idempotency_key_reused", async () => {
    const [a, b] = await Promise.all([newUser("idem"), newUser("idem")]);
    await Promise.all([grant(admin.token, a.id, 100), grant(admin.token, b.id, 100)]);
    assert.equal((await use(a, { amount: 10, reason: "x", idempotency_key: "shared" })).body.balance, 90);
    assert.equal((await use(b, { amount: 10, reason: "x", idempotency_key: "shared" })).body.balance, 90);
    const reused = await use(a, { amount: 20, reason: "x", idempotency_key: "shared" });
    assert.equal(reused.status, 409);
    assert.equal(reused.body.code, "idempotency_key_reused");
    const failedFirst = await use(a, { amount: 1000, reason: "x", idempotency_key: "too-much" });
    assert.equal(failedFirst.body.code, "insufficient_points");
    // A refused use stored nothing under its key: the key is free for a use that fits.
    const fits = await use(a, { amount: 50, reason: "x", idempotency_key: "too-much" });
    assert.equal(fits.status, 200);
    assert.equal(fits.body.balance, 40);
    assert.equal((await use(a, { amount: 1000, reason: "x", idempotency_key: "too-much" })).body.code, "idempotency_key_reused");
    assert.equal(await balanceOf(a.token), 40);
    assert.equal(await balanceOf(b.token), 90);
  });

  it("the user's inbox receives points_changed for grants, uses and purchases, and payment_completed", async () => {
    const user = await newUser("ntf");
    const other = await newUser("ntf");
    const inbox = await sdk(user.token).joinOrCreate("inbox", {});
    const otherInbox = await sdk(other.token).joinOrCreate("inbox", {});
    const seen: { kind: string; data: any }[] = [];
    const otherSeen: unknown[] = [];
    inbox.onMessage("notification", (n) => seen.push(n));
    otherInbox.onMessage("notification", (n) => otherSeen.push(n));
    try {
      const granted = await grant(admin.token, user.id, 100);
      const used = await use(user, { amount: 40, reason: "shield" });
      const product = await newProduct(admin.token, { points: 25, price_cents: 100 });
      const paid = await checkout(user.token, product.id);
      await postWebhook({ order_id: paid.order_id, status: "paid", amount_cents: 100, currency: "USD", provider_payment_id: "pp_n1" });
      const failed = await checkout(user.token, product.id);
      await postWebhook({ order_id: failed.order_id, status: "failed", amount_cents: 100, currency: "USD", provider_payment_id: "pp_n2" });
      await eventually(() => seen.length >= 5, "five notifications");
      const points = seen.filter((n) => n.kind === "points_changed").map((n) => n.data);
      assert.deepEqual(points, [
        { balance: 100, delta: 100, reason: "test grant", transaction_id: granted.transaction_id },
        { balance: 60, delta: -40, reason: "shield", transaction_id: used.body.transaction_id },
        { balance: 85, delta: 25, reason: "purchase", transaction_id: points[2]?.transaction_id },
      ]);
      const payments = seen.filter((n) => n.kind === "payment_completed").map((n) => n.data);
      assert.deepEqual(payments, [
        { payment_id: paid.payment_id, order_id: paid.order_id, status: "paid", points: 25, balance: 85 },
        { payment_id: failed.payment_id, order_id: failed.order_id, status: "failed", points: 0 },
      ]);
      // A refused use and a replayed webhook tell nobody anything.
      await use(user, { amount: 1000, reason: "no" });
      await postWebhook({ order_id: paid.order_id, status: "paid", amount_cents: 100, currency: "USD", provider_payment_id: "pp_n1" });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(seen.length, 5);
      assert.equal(otherSeen.length, 0);
    } finally {
      await Promise.all([inbox.leave(), otherInbox.leave()]);
    }
  });

  it("GET /admin/points/verify checks every user and finds no mismatch; it is admin-only", async () => {
    const user = await newUser("audit");
    await grant(admin.token, user.id, 10);
    await use(user, { amount: 3, reason: "x" });
    const res = await api("GET", "/api/v1/admin/points/verify", { token: admin.token });
    assert.equal(res.status, 200);
    const users = await api("GET", "/api/v1/admin/users?limit=1", { token: admin.token });
    assert.equal(res.body.checked, users.body.total);
    assert.deepEqual(res.body.mismatches, []);
    assert.equal((await api("GET", "/api/v1/admin/points/verify", { token: user.token })).status, 403);
  });
});
