import assert from "node:assert/strict";
import { api, uniqueName } from "../support/api";
import { startServerProcess, type ServerProcess } from "../support/process";
import { embeddedOnly } from "../support/backend";

const LIMIT = 3;
/** Logins from one address (an office, a campus behind one NAT) are allowed more than failures of one account. */
const LOGIN_LIMIT = 6;
let address = 0;
/** The server trusts X-Forwarded-For from loopback, so each test can be its own client. */
const freshAddress = () => `203.0.113.${++address}`;

describe("accounts: rate limits (spawned server, RATE_LIMIT_AUTH_PER_MINUTE=3, RATE_LIMIT_LOGIN_PER_MINUTE=6)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(120_000);
  let srv: ServerProcess;
  const post = (path: string, body: unknown, ip: string) => api("POST", `/api/v1${path}`, { body, base: srv.url, headers: { "x-forwarded-for": ip } });

  before(async () => {
    srv = await startServerProcess({ RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT), RATE_LIMIT_LOGIN_PER_MINUTE: String(LOGIN_LIMIT) });
  });
  after(async () => {
    await srv?.stop();
  });

  const routes: [string, () => unknown, number][] = [
    ["/auth/login", () => ({ username: uniqueName("rl"), password: "wrong-password-1" }), LOGIN_LIMIT],
    ["/auth/register", () => ({ username: uniqueName("rl"), email: `${uniqueName("rl")}@example.test`, password: "x" }), LIMIT],
    ["/auth/forgot-password", () => ({ email: `${uniqueName("rl")}@example.test` }), LIMIT],
    ["/auth/reset-password", () => ({ token: "nope", new_password: "whatever-1" }), LIMIT],
    ["/auth/email/verification", () => ({ email: `${uniqueName("rl")}@example.test` }), LIMIT],
    ["/auth/email/verify", () => ({ token: "nope" }), LIMIT],
  ];
  for (const [path, body, limit] of routes) {
    it(`POST ${path} answers 429 rate_limited with Retry-After past the per-address limit (${limit}/min)`, async () => {
      const ip = freshAddress();
      for (let i = 0; i < limit; i++) assert.notEqual((await post(path, body(), ip)).status, 429);
      const limited = await post(path, body(), ip);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, "rate_limited");
      const retryAfter = Number(limited.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.notEqual((await post(path, body(), freshAddress())).status, 429, "another address is not limited");
    });
  }

  /** Registers through its own address, so that the per-address limit of the test's addresses stays untouched. */
  async function account() {
    const username = uniqueName("rlacct");
    const email = `${username}@example.test`;
    const password = "right-password-1";
    assert.equal((await post("/auth/register", { username, email, password }, freshAddress())).status, 201);
    return { username, email, password };
  }

  it("failed logins from one address never lock the owner out from another", async () => {
    const victim = await account();
    const stranger = freshAddress();
    for (let i = 0; i < LIMIT; i++) assert.equal((await post("/auth/login", { username: victim.username, password: "guess-1" }, stranger)).status, 401);
    assert.equal((await post("/auth/login", { username: victim.username, password: "guess-2" }, stranger)).status, 429);
    const owner = await post("/auth/login", { username: victim.username, password: victim.password }, freshAddress());
    assert.equal(owner.status, 200, "the owner logs in from their own address");
  });

  it("one account is one bucket whichever of its names is typed: username, email, in any case", async () => {
    const target = await account();
    const ip = freshAddress();
    const names = [target.username, target.email.toUpperCase(), target.username.toUpperCase()];
    for (const name of names) assert.equal((await post("/auth/login", { username: name, password: "guess-1" }, ip)).status, 401);
    const limited = await post("/auth/login", { username: target.email, password: "guess-2" }, ip);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  });

  it("successful logins do not count against the account's failures", async () => {
    const regular = await account();
    const ip = freshAddress();
    for (let i = 0; i < LIMIT - 1; i++) assert.equal((await post("/auth/login", { username: regular.username, password: regular.password }, ip)).status, 200);
    assert.equal((await post("/auth/login", { username: regular.username, password: "typo-1" }, ip)).status, 401);
  });

  it("IPv6 clients are counted by their /56: addresses of one network share the per-address limit", async () => {
    const network = `2001:db8:${(++address).toString(16)}:`;
    for (let i = 0; i < LIMIT; i++) {
      assert.notEqual((await post("/auth/forgot-password", { email: `${uniqueName("v6")}@example.test` }, `${network}${i}::1`)).status, 429);
    }
    assert.equal((await post("/auth/forgot-password", { email: `${uniqueName("v6")}@example.test` }, `${network}ff::1`)).status, 429);
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

describe("accounts: TRUST_PROXY=false (spawned server)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(120_000);
  let srv: ServerProcess;
  before(async () => {
    srv = await startServerProcess({ RATE_LIMIT_AUTH_PER_MINUTE: "2", TRUST_PROXY: "false" });
  });
  after(async () => {
    await srv?.stop();
  });

  it("ignores X-Forwarded-For from an untrusted peer: every request counts against the peer's own address", async () => {
    const forgot = (ip: string) =>
      api("POST", "/api/v1/auth/forgot-password", { base: srv.url, body: { email: `${uniqueName("tp")}@example.test` }, headers: { "x-forwarded-for": ip } });
    assert.equal((await forgot("203.0.113.50")).status, 202);
    assert.equal((await forgot("203.0.113.51")).status, 202);
    assert.equal((await forgot("203.0.113.52")).status, 429);
  });
});
