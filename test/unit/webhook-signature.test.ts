import assert from "node:assert/strict";
import crypto from "node:crypto";
import { signWebhook, verifyWebhook } from "../../infra/payments/signature";

const SECRET = "unit-webhook-secret-0123456789";
const body = Buffer.from('{"order_id":"ord_1","status":"paid"}');
const T = 1_800_000_000;
const at = (seconds: number) => seconds * 1000;

describe("webhook signature", () => {
  it("verifies its own signature at the time it was made and within 300 s of it, either way", () => {
    const header = signWebhook(SECRET, body, T);
    assert.match(header, /^t=1800000000,v1=[0-9a-f]{64}$/);
    for (const now of [T, T - 300, T + 300]) assert.equal(verifyWebhook(SECRET, header, body, at(now)), true, String(now));
    for (const now of [T - 301, T + 301]) assert.equal(verifyWebhook(SECRET, header, body, at(now)), false, String(now));
  });

  it("is HMAC-SHA256 of \"<t>.<raw body>\" in hex", () => {
    const expected = crypto.createHmac("sha256", SECRET).update(`${T}.${body.toString()}`).digest("hex");
    assert.equal(signWebhook(SECRET, body, T), `t=${T},v1=${expected}`);
  });

  it("refuses another secret, another body, a moved timestamp and malformed headers", () => {
    const header = signWebhook(SECRET, body, T);
    const v1 = header.split("v1=")[1]!;
    const refused = [
      signWebhook("another-secret-0123456789", body, T),
      header.replace(`t=${T}`, `t=${T + 1}`),
      `t=${T}`,
      `v1=${v1}`,
      `t=${T},v1=${v1.slice(0, 63)}`,
      `t=${T},v1=${v1}x`,
      `t=${T},t=${T},v1=${v1}`,
      `t=-${T},v1=${v1}`,
      `t=${T},v1=${v1}=`,
      "",
      "garbage",
    ];
    for (const h of refused) assert.equal(verifyWebhook(SECRET, h, body, at(T)), false, h);
    assert.equal(verifyWebhook(SECRET, undefined, body, at(T)), false);
    assert.equal(verifyWebhook(SECRET, header, Buffer.from(`${body.toString()} `), at(T)), false);
  });

  it("accepts any one matching v1 among several (a provider rotating its secret), with spaces after commas", () => {
    const good = signWebhook(SECRET, body, T).split("v1=")[1]!;
    const other = signWebhook("old-secret-0123456789abcdef", body, T).split("v1=")[1]!;
    assert.equal(verifyWebhook(SECRET, `t=${T}, v1=${other}, v1=${good}`, body, at(T)), true);
    assert.equal(verifyWebhook(SECRET, `t=${T},v1=${other}`, body, at(T)), false);
  });
});
