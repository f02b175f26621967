import assert from "node:assert/strict";
import { api, uniqueName } from "../support/api";
import { latestMail, strongPassword } from "../support/mail";
import { startServerProcess, type ServerProcess } from "../support/process";
import { embeddedOnly } from "../support/backend";

/** A server that requires verified email and whose reset tokens live one second. */
describe("accounts: email verification policy and reset expiry (spawned server)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(120_000);
  let srv: ServerProcess;
  const call = (method: string, path: string, body?: unknown) => api(method, path, { body, base: srv.url });
  const register = (username: string, email = `${username}@example.test`) =>
    call("POST", "/api/v1/auth/register", { username, email, password: "correct-horse-1" });
  const login = (username: string, password = "correct-horse-1") => call("POST", "/api/v1/auth/login", { username, password });

  before(async () => {
    srv = await startServerProcess({ REQUIRE_EMAIL_VERIFICATION: "true", RESET_TOKEN_TTL: "1s" });
  });
  after(async () => {
    await srv?.stop();
  });

  it("registration mails a verification token; login is 403 email_not_verified until it is used", async () => {
    const username = uniqueName("policy");
    const email = `${username}@example.test`;
    assert.equal((await register(username)).status, 201);
    const mail = await latestMail(email, srv.url);
    assert.ok(mail, "registration queued a verification mail");
    const before = await login(username);
    assert.equal(before.status, 403);
    assert.equal(before.body.code, "email_not_verified");
    assert.equal((await call("POST", "/api/v1/auth/email/verify", { token: mail.token })).status, 200);
    assert.equal((await login(username)).status, 200);
  });

  it("the wrong password of an unverified account is still 401 invalid_credentials", async () => {
    const username = uniqueName("policypw");
    await register(username);
    const res = await login(username, "wrong-password-1");
    assert.equal(res.status, 401);
    assert.equal(res.body.code, "invalid_credentials");
  });

  it("a pre-verified email registers verified and logs in at once", async () => {
    const username = uniqueName("policypre");
    const email = `${username}@example.test`;
    assert.equal((await call("POST", "/api/v1/auth/email/verification", { email })).status, 202);
    const { token } = (await latestMail(email, srv.url))!;
    assert.equal((await call("POST", "/api/v1/auth/email/verify", { token })).status, 200);
    const reg = await register(username, email.toUpperCase());
    assert.equal(reg.body.is_verified, true);
    assert.equal((await login(username)).status, 200);
  });

  it("a reset token used after RESET_TOKEN_TTL is 400 invalid_token; a reset verifies the email", async () => {
    const username = uniqueName("policyttl");
    const email = `${username}@example.test`;
    await register(username);
    await call("POST", "/api/v1/auth/forgot-password", { email });
    const expired = (await latestMail(email, srv.url))!.token;
    await new Promise((r) => setTimeout(r, 1500));
    const res = await call("POST", "/api/v1/auth/reset-password", { token: expired, new_password: strongPassword });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "invalid_token");

    await call("POST", "/api/v1/auth/forgot-password", { email });
    const { token } = (await latestMail(email, srv.url))!;
    assert.notEqual(token, expired);
    assert.equal((await call("POST", "/api/v1/auth/reset-password", { token, new_password: strongPassword })).status, 204);
    const ok = await login(username, strongPassword);
    assert.equal(ok.status, 200, "the reset proved the address, so the policy lets the user in");
  });
});
