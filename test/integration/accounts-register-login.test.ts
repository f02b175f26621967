import assert from "node:assert/strict";
import { adminUser, api, newUser, uniqueName } from "../support/api";

const register = (body: Record<string, unknown>) => api("POST", "/api/v1/auth/register", { body });
const login = (username: string, password: string) => api("POST", "/api/v1/auth/login", { body: { username, password } });
const fields = (res: { body: { errors?: { field: string; message: string }[] } }) =>
  Object.fromEntries((res.body.errors ?? []).map((e) => [e.field, e.message]));

describe("accounts: registration", () => {
  it("register answers 201 with the user and its Location, verified false and the player role", async () => {
    const username = uniqueName("reg");
    const res = await register({ username, email: `${username}@example.test`, password: "correct-horse-1" });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), `/api/v1/users/${res.body.id}`);
    assert.deepEqual(Object.keys(res.body).sort(), ["created_at", "email", "id", "is_active", "is_verified", "last_login_at", "roles", "username"]);
    assert.equal(res.body.username, username);
    assert.deepEqual(res.body.roles, ["player"]);
    assert.equal(res.body.is_verified, false);
    assert.equal(res.body.last_login_at, null);
    assert.equal(res.body.password_hash, undefined);
  });

  it("register with every field missing names each one in errors", async () => {
    const res = await register({});
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    assert.deepEqual(fields(res), { username: "is required", email: "is required", password: "is required" });
  });

  it("register refuses a malformed username and email with validation_failed", async () => {
    const res = await register({ username: "a b", email: "not-an-email", password: "correct-horse-1" });
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(fields(res)).sort(), ["email", "username"]);
  });

  it("register refuses a roles field: no mass assignment", async () => {
    const username = uniqueName("mass");
    const res = await register({ username, email: `${username}@example.test`, password: "correct-horse-1", roles: ["admin"] });
    assert.equal(res.status, 400);
    assert.equal(fields(res).roles, "is unknown");
  });

  it("a duplicate username is 409 username_taken, case-insensitively", async () => {
    const user = await newUser("dupu");
    const res = await register({ username: user.username.toUpperCase(), email: `${uniqueName("other")}@example.test`, password: "correct-horse-1" });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, "username_taken");
  });

  it("a duplicate email is 409 email_taken, case-insensitively", async () => {
    const user = await newUser("dupe");
    const res = await register({ username: uniqueName("other"), email: user.email.toUpperCase(), password: "correct-horse-1" });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, "email_taken");
  });

  for (const [why, password] of [
    ["shorter than 8 characters", "abc1234"],
    ["without a digit", "no-digits-here"],
    ["without a letter", "1234567890"],
    ["longer than 128 characters", `a1${"x".repeat(127)}`],
  ] as const) {
    it(`a password ${why} is 400 weak_password`, async () => {
      const username = uniqueName("weak");
      const res = await register({ username, email: `${username}@example.test`, password });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "weak_password");
      assert.equal(res.body.errors[0].field, "password");
    });
  }

  it("a password equal to the username (any case) is 400 weak_password", async () => {
    const username = `${uniqueName("same")}1`.slice(0, 32);
    const res = await register({ username, email: `${username}@example.test`, password: username.toUpperCase() });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "weak_password");
  });
});

describe("accounts: login", () => {
  it("login answers a token pair and records last_login_at", async () => {
    const user = await newUser("login");
    const res = await login(user.username, user.password);
    assert.equal(res.status, 200);
    assert.equal(res.body.token_type, "bearer");
    assert.ok(res.body.access_token && res.body.refresh_token);
    assert.ok(res.body.expires_in > 0);
    assert.equal(res.body.user.id, user.id);
    assert.ok(res.body.user.last_login_at);
    const me = await api("GET", "/api/v1/users/me", { token: res.body.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, user.username);
  });

  it("login accepts the email, in any case, as the username", async () => {
    const user = await newUser("bymail");
    const res = await login(user.email.toUpperCase(), user.password);
    assert.equal(res.status, 200);
    assert.equal(res.body.user.id, user.id);
  });

  it("a wrong password and an unknown user get the same 401 invalid_credentials body", async () => {
    const user = await newUser("wrong");
    const wrong = await login(user.username, "wrong-password-1");
    const unknown = await login(uniqueName("nobody"), "wrong-password-1");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, "invalid_credentials");
    assert.equal(unknown.status, wrong.status);
    assert.deepEqual(unknown.body, wrong.body);
  });

  it("login with missing fields names them", async () => {
    const res = await api("POST", "/api/v1/auth/login", { body: { extra: 1 } });
    assert.equal(res.status, 400);
    assert.deepEqual(fields(res), { username: "is required", password: "is required", extra: "is unknown" });
  });

  it("a disabled account gets 401 account_disabled only with the right password", async () => {
    const user = await newUser("disabled");
    const admin = await adminUser();
    const patch = await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    assert.equal(patch.status, 200);
    const right = await login(user.username, user.password);
    assert.equal(right.status, 401);
    assert.equal(right.body.code, "account_disabled");
    const wrong = await login(user.username, "wrong-password-1");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, "invalid_credentials");
  });
});
