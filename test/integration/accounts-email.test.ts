import assert from "node:assert/strict";
import { adminUser, api, newUser, uniqueName } from "../support/api";
import { latestMail, strongPassword } from "../support/mail";

const requestVerification = (email: string) => api("POST", "/api/v1/auth/email/verification", { body: { email } });
const verify = (token: string) => api("POST", "/api/v1/auth/email/verify", { body: { token } });
const forgot = (email: string) => api("POST", "/api/v1/auth/forgot-password", { body: { email } });
const reset = (token: string, new_password: string) => api("POST", "/api/v1/auth/reset-password", { body: { token, new_password } });
const login = (username: string, password: string) => api("POST", "/api/v1/auth/login", { body: { username, password } });

describe("accounts: email verification", () => {
  it("an unverified user gets a verification mail in the outbox; its token verifies the account", async () => {
    const user = await newUser("verif");
    const res = await requestVerification(user.email);
    assert.equal(res.status, 202);
    const mail = await latestMail(user.email);
    assert.ok(mail, "a verification mail is in the outbox");
    assert.match(mail.subject, /verify/i);
    const ok = await verify(mail.token);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { email: user.email.toLowerCase(), verified: true });
    const me = await api("GET", "/api/v1/users/me", { token: user.token });
    assert.equal(me.body.is_verified, true);
  });

  it("the verification request answers the same 202 body for known and unknown addresses", async () => {
    const user = await newUser("same202");
    const known = await requestVerification(user.email);
    const unknown = await requestVerification(`${uniqueName("ghost")}@example.test`);
    assert.equal(known.status, 202);
    assert.equal(unknown.status, 202);
    assert.deepEqual(unknown.body, known.body);
  });

  it("a verification token works once: the second use is 400 invalid_token", async () => {
    const user = await newUser("verifonce");
    await requestVerification(user.email);
    const { token } = (await latestMail(user.email))!;
    assert.equal((await verify(token)).status, 200);
    const again = await verify(token);
    assert.equal(again.status, 400);
    assert.equal(again.body.code, "invalid_token");
  });

  it("an unknown verification token is 400 invalid_token; a missing one is validation_failed", async () => {
    const res = await verify("A".repeat(43));
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "invalid_token");
    const missing = await api("POST", "/api/v1/auth/email/verify", { body: { tokn: "x" } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, "validation_failed");
  });

  it("verifying an address without an account pre-verifies it: a registration with it is verified at once", async () => {
    const username = uniqueName("prever");
    const email = `${username}@example.test`;
    assert.equal((await requestVerification(email)).status, 202);
    const { token } = (await latestMail(email))!;
    const ok = await verify(token);
    assert.deepEqual(ok.body, { email, verified: true });
    const reg = await api("POST", "/api/v1/auth/register", { body: { username, email, password: "correct-horse-1" } });
    assert.equal(reg.status, 201);
    assert.equal(reg.body.is_verified, true);
  });

  it("an already verified account gets no further verification mail", async () => {
    const user = await newUser("already");
    await requestVerification(user.email);
    await verify((await latestMail(user.email))!.token);
    const before = (await latestMail(user.email))!.token;
    assert.equal((await requestVerification(user.email)).status, 202);
    assert.equal((await latestMail(user.email))!.token, before);
  });

  it("a malformed email is 400 validation_failed naming email", async () => {
    const res = await requestVerification("nope");
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].field, "email");
  });
});

describe("accounts: password reset", () => {
  it("forgot-password answers the same 202 body for known and unknown emails, and mails only the known one", async () => {
    const user = await newUser("forgot");
    const ghost = `${uniqueName("ghost")}@example.test`;
    const known = await forgot(user.email);
    const unknown = await forgot(ghost);
    assert.equal(known.status, 202);
    assert.equal(unknown.status, 202);
    assert.deepEqual(unknown.body, known.body);
    assert.ok(await latestMail(user.email));
    assert.equal(await latestMail(ghost), undefined);
  });

  it("a reset sets the new password, verifies the email and ends every session", async () => {
    const user = await newUser("reset");
    await forgot(user.email.toUpperCase());
    const { token, subject } = (await latestMail(user.email))!;
    assert.match(subject, /reset/i);
    const res = await reset(token, strongPassword);
    assert.equal(res.status, 204);
    assert.equal((await api("GET", "/api/v1/users/me", { token: user.token })).status, 401);
    assert.equal((await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: user.refreshToken } })).status, 401);
    assert.equal((await login(user.username, user.password)).body.code, "invalid_credentials");
    const fresh = await login(user.username, strongPassword);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.user.is_verified, true);
  });

  it("a reset token works once: reuse is 400 invalid_token", async () => {
    const user = await newUser("resetonce");
    await forgot(user.email);
    const { token } = (await latestMail(user.email))!;
    assert.equal((await reset(token, strongPassword)).status, 204);
    const again = await reset(token, "yet-another-7");
    assert.equal(again.status, 400);
    assert.equal(again.body.code, "invalid_token");
    assert.equal((await login(user.username, strongPassword)).status, 200);
  });

  it("an unknown reset token is 400 invalid_token", async () => {
    const res = await reset("B".repeat(43), strongPassword);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "invalid_token");
  });

  it("a weak new password is 400 weak_password and leaves the token usable", async () => {
    const user = await newUser("resetweak");
    await forgot(user.email);
    const { token } = (await latestMail(user.email))!;
    const weak = await reset(token, user.username);
    assert.equal(weak.status, 400);
    assert.equal(weak.body.code, "weak_password");
    assert.equal(weak.body.errors[0].field, "new_password");
    assert.equal((await reset(token, strongPassword)).status, 204);
  });

  it("a verification token is not a reset token", async () => {
    const user = await newUser("crosstoken");
    await requestVerification(user.email);
    const { token } = (await latestMail(user.email))!;
    const res = await reset(token, strongPassword);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "invalid_token");
  });

  it("reset-password names missing and unknown fields", async () => {
    const res = await api("POST", "/api/v1/auth/reset-password", { body: { password: "x" } });
    assert.equal(res.status, 400);
    const fields = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    assert.deepEqual(fields, { token: "is required", new_password: "is required", password: "is unknown" });
  });
});

describe("accounts: outbox", () => {
  it("GET /admin/outbox lists mails newest first as {id, to, subject, body, status, created_at}, paginated", async () => {
    const user = await newUser("outbox");
    await forgot(user.email);
    const admin = await adminUser();
    const res = await api("GET", "/api/v1/admin/outbox?limit=1", { token: admin.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.limit, 1);
    assert.equal(res.body.offset, 0);
    assert.ok(res.body.total >= 1);
    assert.equal(res.body.items.length, 1);
    assert.deepEqual(Object.keys(res.body.items[0]).sort(), ["body", "created_at", "id", "status", "subject", "to"]);
    assert.equal(res.body.items[0].status, "pending");
  });

  it("GET /admin/outbox is 403 for a player and 401 without a token", async () => {
    const user = await newUser("nooutbox");
    const res = await api("GET", "/api/v1/admin/outbox", { token: user.token });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, "forbidden");
    assert.equal((await api("GET", "/api/v1/admin/outbox")).status, 401);
  });
});
