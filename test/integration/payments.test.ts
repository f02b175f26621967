import assert from "node:assert/strict";
import { signWebhook } from "../../infra/payments/signature";
import { adminUser, api, newUser, type TestUser } from "../support/api";
import { TEST_ENV } from "../support/backend";
import { balanceOf, checkout, newProduct, postWebhook, type WebhookBody } from "../support/payments";

const paidEvent = (c: { order_id: string }, fields: Partial<WebhookBody> = {}): WebhookBody => ({
  order_id: c.order_id,
  status: "paid",
  amount_cents: 499,
  currency: "USD",
  provider_payment_id: `pp_${c.order_id}`,
  ...fields,
});

describe("payments: products and checkout", () => {
  let admin: { token: string };
  let buyer: TestUser;

  before(async () => {
    admin = await adminUser();
    buyer = await newUser("buyer");
  });

  it("an admin puts a product on sale; players see only active ones, without admin fields", async () => {
    const onSale = await newProduct(admin.token, { name: "Handful of rubies", points: 50, price_cents: 199 });
    assert.equal(onSale.is_active, true);
    const hidden = await newProduct(admin.token, { name: "Hidden pack", is_active: false });
    const list = await api("GET", "/api/v1/payment/products?limit=100", { token: buyer.token });
    assert.equal(list.status, 200);
    const listed = list.body.items.find((p: { id: string }) => p.id === onSale.id);
    assert.deepEqual(listed, { id: onSale.id, name: "Handful of rubies", points: 50, price_cents: 199, currency: "USD" });
    assert.equal(list.body.items.some((p: { id: string }) => p.id === hidden.id), false);
    assert.equal(typeof list.body.total, "number");
  });

  it("only an admin manages products (403 for a player, 401 without a token)", async () => {
    const body = { name: "Free lunch", points: 1000, price_cents: 1, currency: "USD" };
    assert.equal((await api("POST", "/api/v1/admin/products", { token: buyer.token, body })).status, 403);
    assert.equal((await api("POST", "/api/v1/admin/products", { body })).status, 401);
    const product = await newProduct(admin.token);
    const patch = await api("PATCH", `/api/v1/admin/products/${product.id}`, { token: buyer.token, body: { price_cents: 1 } });
    assert.equal(patch.status, 403);
    assert.equal((await api("GET", "/api/v1/payment/products")).status, 401);
  });

  it("a product body is validated strictly: bad values and unknown fields are 400 naming each field", async () => {
    const res = await api("POST", "/api/v1/admin/products", {
      token: admin.token,
      body: { name: "", points: 0, price_cents: 1.5, currency: "usd", owner_id: buyer.id },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field).sort(), ["currency", "name", "owner_id", "points", "price_cents"]);
  });

  it("PATCH changes a product and takes it off sale; an unknown or malformed id is 404", async () => {
    const product = await newProduct(admin.token, { points: 10 });
    const patched = await api("PATCH", `/api/v1/admin/products/${product.id}`, { token: admin.token, body: { points: 25, is_active: false } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.points, 25);
    assert.equal(patched.body.is_active, false);
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const res = await api("PATCH", `/api/v1/admin/products/${id}`, { token: admin.token, body: { points: 1 } });
      assert.equal(res.status, 404);
      assert.equal(res.body.detail, "product not found");
    }
  });

  it("checkout creates a pending payment with a checkout_url on this server", async () => {
    const product = await newProduct(admin.token);
    const started = await checkout(buyer.token, product.id);
    assert.equal(started.status, "pending");
    assert.match(started.order_id, /^ord_[0-9a-f]{32}$/);
    assert.match(started.payment_id, /^[0-9a-f-]{36}$/);
    const url = new URL(started.checkout_url);
    assert.equal(url.pathname, `/api/v1/payment/sandbox/${started.order_id}`);
    const page = await fetch(started.checkout_url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  });

  it("checkout of an unknown product is 404, of an inactive one 409 product_inactive, of a malformed id 400", async () => {
    const unknown = await api("POST", "/api/v1/payment/checkout", { token: buyer.token, body: { product_id: "00000000-0000-4000-8000-000000000000" } });
    assert.equal(unknown.status, 404);
    const off = await newProduct(admin.token, { is_active: false });
    const inactive = await api("POST", "/api/v1/payment/checkout", { token: buyer.token, body: { product_id: off.id } });
    assert.equal(inactive.status, 409);
    assert.equal(inactive.body.code, "product_inactive");
    const malformed = await api("POST", "/api/v1/payment/checkout", { token: buyer.token, body: { product_id: "x", extra: 1 } });
    assert.equal(malformed.status, 400);
  });

  it("a payment keeps the price and points it was started with when the product changes later", async () => {
    const product = await newProduct(admin.token, { points: 40, price_cents: 499 });
    const user = await newUser("keep");
    const started = await checkout(user.token, product.id);
    await api("PATCH", `/api/v1/admin/products/${product.id}`, { token: admin.token, body: { points: 4000, price_cents: 9999 } });
    const mismatch = await postWebhook(paidEvent(started, { amount_cents: 9999 }));
    assert.equal(mismatch.status, 400);
    assert.equal((await postWebhook(paidEvent(started))).status, 200);
    assert.equal(await balanceOf(user.token), 40);
  });
});

describe("payments: webhook", () => {
  let admin: { token: string };
  let product: { id: string; points: number };

  before(async () => {
    admin = await adminUser();
    product = await newProduct(admin.token, { points: 120, price_cents: 499 });
  });

  const started = async () => {
    const user = await newUser("hook");
    return { user, order: await checkout(user.token, product.id) };
  };

  it("a valid signature processes once; the same event replayed answers Already processed and changes nothing", async () => {
    const { user, order } = await started();
    const event = paidEvent(order);
    const first = await postWebhook(event);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { result: "processed" });
    assert.equal(await balanceOf(user.token), 120);
    const replay = await postWebhook(event);
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.body, { result: "Already processed" });
    const failedAfter = await postWebhook(paidEvent(order, { status: "failed" }));
    assert.deepEqual(failedAfter.body, { result: "Already processed" });
    assert.equal(await balanceOf(user.token), 120);
    const ledger = await api("GET", "/api/v1/point/transactions", { token: user.token });
    assert.equal(ledger.body.total, 1);
    assert.deepEqual(
      { delta: ledger.body.items[0].delta, balance_after: ledger.body.items[0].balance_after, reason: ledger.body.items[0].reason, ref: ledger.body.items[0].ref },
      { delta: 120, balance_after: 120, reason: "purchase", ref: `payment:${order.order_id}` },
    );
  });

  it("the same event delivered 10 times at once credits once", async () => {
    const { user, order } = await started();
    const raw = JSON.stringify(paidEvent(order));
    const signature = signWebhook(TEST_ENV.PAYMENT_WEBHOOK_SECRET!, raw);
    const results = await Promise.all(Array.from({ length: 10 }, () => postWebhook(raw, { signature })));
    assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
    assert.equal(results.filter((r) => r.body.result === "processed").length, 1);
    assert.equal(results.filter((r) => r.body.result === "Already processed").length, 9);
    assert.equal(await balanceOf(user.token), 120);
  });

  it("a failed payment is settled without credit, and a later paid event for it changes nothing", async () => {
    const { user, order } = await started();
    assert.deepEqual((await postWebhook(paidEvent(order, { status: "failed" }))).body, { result: "processed" });
    assert.deepEqual((await postWebhook(paidEvent(order))).body, { result: "Already processed" });
    assert.equal(await balanceOf(user.token), 0);
  });

  it("a wrong signature, a missing header, a stale timestamp, a future one and a body altered after signing change nothing (400 invalid_signature)", async () => {
    const { user, order } = await started();
    const raw = JSON.stringify(paidEvent(order));
    const now = Math.floor(Date.now() / 1000);
    const attempts = [
      postWebhook(raw, { secret: "some-other-secret-0123456789" }),
      postWebhook(raw, { signature: null }),
      postWebhook(raw, { signature: "" }),
      postWebhook(raw, { signature: "t=abc,v1=zz" }),
      postWebhook(raw, { signature: `t=${now},v1=${"0".repeat(64)}` }),
      // A minute past the tolerance either way, so that a slow request cannot bring it back within.
      postWebhook(raw, { t: now - 360 }),
      postWebhook(raw, { t: now + 360 }),
      postWebhook(raw.replace('"paid"', '"paid" '), { signature: signWebhook(TEST_ENV.PAYMENT_WEBHOOK_SECRET!, raw) }),
      postWebhook(JSON.stringify(paidEvent(order, { amount_cents: 1 })), { signature: signWebhook(TEST_ENV.PAYMENT_WEBHOOK_SECRET!, raw) }),
      // A signature over the body alone, without the timestamp, is not one.
      postWebhook(raw, { signature: `t=${now},v1=${signWebhook(TEST_ENV.PAYMENT_WEBHOOK_SECRET!, raw, now).split("v1=")[1]!.replace(/^./, (c) => (c === "0" ? "1" : "0"))}` }),
    ];
    for (const res of await Promise.all(attempts)) {
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "invalid_signature");
    }
    assert.equal(await balanceOf(user.token), 0);
    // The payment is still pending: the genuine event is processed afterwards.
    assert.deepEqual((await postWebhook(raw)).body, { result: "processed" });
  });

  it("a timestamp within the 5-minute tolerance is accepted", async () => {
    const { user, order } = await started();
    const res = await postWebhook(paidEvent(order), { t: Math.floor(Date.now() / 1000) - 240 });
    assert.deepEqual(res.body, { result: "processed" });
    assert.equal(await balanceOf(user.token), 120);
  });

  it("the signature covers the bytes as sent: whitespace and key order of a signed body are accepted as they are", async () => {
    const { user, order } = await started();
    const raw = `{ "provider_payment_id" : "pp_ws",\n  "currency": "USD", "amount_cents": 499, "status": "paid", "order_id": "${order.order_id}" }`;
    assert.deepEqual((await postWebhook(raw)).body, { result: "processed" });
    assert.equal(await balanceOf(user.token), 120);
  });

  it("an unknown order is 404 and an amount or currency mismatch 400 amount_mismatch, changing nothing", async () => {
    const unknown = await postWebhook(paidEvent({ order_id: "ord_00000000000000000000000000000000" }));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "not_found");
    const { user, order } = await started();
    for (const fields of [{ amount_cents: 498 }, { amount_cents: 0 }, { currency: "EUR" }]) {
      const res = await postWebhook(paidEvent(order, fields));
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "amount_mismatch");
    }
    assert.equal(await balanceOf(user.token), 0);
    assert.deepEqual((await postWebhook(paidEvent(order))).body, { result: "processed" });
  });

  it("a signed but malformed body is 400 validation_failed naming the fields", async () => {
    const { order } = await started();
    const res = await postWebhook(JSON.stringify({ order_id: order.order_id, status: "refunded", amount_cents: "499", extra: true }));
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, ["amount_cents", "currency", "extra", "provider_payment_id", "status"]);
    const notJson = await postWebhook("{not json");
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.code, "validation_failed");
  });

  it("the webhook reads its own raw body whatever the content type, and refuses an oversized one with 413", async () => {
    const { user, order } = await started();
    const raw = JSON.stringify(paidEvent(order));
    const res = await api("POST", "/api/v1/payment/webhook", {
      raw,
      headers: { "content-type": "text/plain", "x-signature": signWebhook(TEST_ENV.PAYMENT_WEBHOOK_SECRET!, raw) },
    });
    assert.deepEqual(res.body, { result: "processed" });
    assert.equal(await balanceOf(user.token), 120);
    const huge = await postWebhook(JSON.stringify({ ...paidEvent(order), padding: "x".repeat(200_000) }));
    assert.equal(huge.status, 413);
  });

  it("the webhook at another spelling of its path (case, trailing slash) still verifies the bytes received", async () => {
    const { user, order } = await started();
    const raw = JSON.stringify(paidEvent(order));
    const res = await api("POST", "/API/V1/Payment/Webhook/", {
      raw,
      headers: { "x-signature": signWebhook(TEST_ENV.PAYMENT_WEBHOOK_SECRET!, raw) },
    });
    assert.deepEqual(res.body, { result: "processed" });
    assert.equal(await balanceOf(user.token), 120);
  });

  it("other routes still parse JSON as before", async () => {
    const res = await api("POST", "/api/v1/auth/register", { raw: '{"username": "abc",' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors, [{ field: "body", message: "is not valid JSON" }]);
  });
});

describe("payments: sandbox provider action", () => {
  it("settles an order through the signed webhook once; a second settle answers Already processed", async () => {
    const admin = await adminUser();
    const product = await newProduct(admin.token, { points: 33, price_cents: 150 });
    const user = await newUser("sbx");
    const order = await checkout(user.token, product.id);
    const action = `/api/v1/payment/sandbox/${order.order_id}`;
    const paid = await api("POST", action, { body: { status: "paid" } });
    assert.equal(paid.status, 200);
    assert.deepEqual(paid.body, { order_id: order.order_id, status: "paid", result: "processed" });
    const again = await api("POST", action, { body: { status: "failed" } });
    assert.deepEqual(again.body, { order_id: order.order_id, status: "paid", result: "Already processed" });
    assert.equal(await balanceOf(user.token), 33);
  });

  it("an unknown or malformed order is 404 and a bad status 400", async () => {
    for (const id of ["ord_00000000000000000000000000000000", "nope", "ORD_0"]) {
      assert.equal((await api("POST", `/api/v1/payment/sandbox/${id}`, { body: { status: "paid" } })).status, 404, id);
      assert.equal((await api("GET", `/api/v1/payment/sandbox/${id}`)).status, 404, id);
    }
    const res = await api("POST", "/api/v1/payment/sandbox/ord_00000000000000000000000000000000", { body: { status: "refunded" } });
    assert.equal(res.status, 400);
  });
});
