import assert from "node:assert/strict";
import { api, uniqueName } from "../support/api";
import { startServerProcess, type ServerProcess } from "../support/process";

const LIMIT = 3;
let address = 0;
/** The server trusts X-Forwarded-For from loopback, so each test can be its own client. */
const freshAddress = () => `203.0.113.${++address}`;

describe("accounts: rate limits (spawned server, RATE_LIMIT_AUTH_PER_MINUTE=3)", function () {
  this.timeout(60_000);
  let srv: ServerProcess;
  const post = (path: string, body: unknown, ip: string) => api("POST", `/api/v1${path}`, { body, base: srv.url, headers: { "x-forwarded-for": ip } });

  before(async () => {
    srv = await startServerProcess({ RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT) });
  });
  after(async () => {
    await srv?.stop();
  });

  const routes: [string, () => unknown][] = [
    ["/auth/login", () => ({ username: uniqueName("rl"), password: "wrong-password-1" })],
    ["/auth/register", () => ({ username: uniqueName("rl"), email: `${uniqueName("rl")}@example.test`, password: "x" })],
    ["/auth/forgot-password", () => ({ email: `${uniqueName("rl")}@example.test` })],
    ["/auth/reset-password", () => ({ token: "nope", new_password: "whatever-1" })],
    ["/auth/email/verification", () => ({ email: `${uniqueName("rl")}@example.test` })],
    ["/auth/email/verify", () => ({ token: "nope" })],
  ];
  for (const [path, body] of routes) {
    it(`POST ${path} answers 429 rate_limited with Retry-After past the per-address limit`, async () => {
      const ip = freshAddress();
      for (let i = 0; i < LIMIT; i++) assert.notEqual((await post(path, body(), ip)).status, 429);
      const limited = await post(path, body(), ip);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, "rate_limited");
      const retryAfter = Number(limited.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.notEqual((await post(path, body(), freshAddress())).status, 429, "another address is not limited");
    });
  }

  it("login is limited per account too, whatever the address, case-insensitively", async () => {
    const username = uniqueName("rlacct");
    for (let i = 0; i < LIMIT; i++) {
      const res = await post("/auth/login", { username: i % 2 ? username.toUpperCase() : username, password: "wrong-password-1" }, freshAddress());
      assert.equal(res.status, 401);
    }
    const limited = await post("/auth/login", { username, password: "wrong-password-1" }, freshAddress());
    assert.equal(limited.status, 429);
    assert.ok(limited.headers.get("retry-after"));
    const other = await post("/auth/login", { username: uniqueName("rlother"), password: "wrong-password-1" }, freshAddress());
    assert.equal(other.status, 401);
  });

  for (const path of ["/auth/forgot-password", "/auth/email/verification"]) {
    it(`POST ${path} is limited per email too, whatever the address`, async () => {
      const email = `${uniqueName("rlmail")}@example.test`;
      for (let i = 0; i < LIMIT; i++) assert.equal((await post(path, { email }, freshAddress())).status, 202);
      const limited = await post(path, { email: email.toUpperCase() }, freshAddress());
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, "rate_limited");
    });
  }

  it("a body without the account field is limited only per address (no crash on odd bodies)", async () => {
    const res = await api("POST", "/api/v1/auth/login", { raw: "[1,2]", base: srv.url, headers: { "x-forwarded-for": freshAddress() } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
  });
});
