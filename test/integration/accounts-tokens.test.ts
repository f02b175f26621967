import assert from "node:assert/strict";
import crypto from "node:crypto";
import jwt from "jsonwebtoken";
import { adminUser, api, newUser } from "../support/api";
import { TEST_ENV } from "../support/backend";

const me = (token: string) => api("GET", "/api/v1/users/me", { token });
const refresh = (refresh_token: string) => api("POST", "/api/v1/auth/refresh", { body: { refresh_token } });

/** A token shaped like the server's, with `overrides` applied to payload or options. */
function forge(userId: string, sessionId: string, overrides: { secret?: string; aud?: string; iss?: string; exp?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { sub: userId, sid: sessionId, roles: ["player", "admin"], jti: crypto.randomUUID(), iss: overrides.iss ?? "tavern", aud: overrides.aud ?? "tavern-api", iat: now - 60, exp: overrides.exp ?? now + 600 },
    overrides.secret ?? TEST_ENV.JWT_SECRET,
    { algorithm: "HS256" },
  );
}

const sessionOf = (token: string) => (jwt.decode(token) as { sid: string }).sid;

async function assertUnauthenticated(token: string) {
  const res = await me(token);
  assert.equal(res.status, 401);
  assert.equal(res.body.code, "unauthenticated");
}

describe("accounts: access tokens", () => {
  it("a well-formed token signed with the test secret is accepted (the forgery helper is sound)", async () => {
    const user = await newUser("forge");
    const res = await me(forge(user.id, sessionOf(user.token)));
    assert.equal(res.status, 200);
  });

  it("an expired token is 401 unauthenticated", async () => {
    const user = await newUser("expired");
    await assertUnauthenticated(forge(user.id, sessionOf(user.token), { exp: Math.floor(Date.now() / 1000) - 10 }));
  });

  it("a token signed with another secret is 401 unauthenticated", async () => {
    const user = await newUser("othersecret");
    await assertUnauthenticated(forge(user.id, sessionOf(user.token), { secret: "another-secret-another-secret-0123456789" }));
  });

  it("an alg none token is 401 unauthenticated", async () => {
    const user = await newUser("algnone");
    const signed = forge(user.id, sessionOf(user.token));
    const [, payload] = signed.split(".");
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    await assertUnauthenticated(`${header}.${payload}.`);
  });

  it("a token for another audience or issuer is 401 unauthenticated", async () => {
    const user = await newUser("audience");
    await assertUnauthenticated(forge(user.id, sessionOf(user.token), { aud: "another-api" }));
    await assertUnauthenticated(forge(user.id, sessionOf(user.token), { iss: "someone-else" }));
  });

  it("a missing or malformed Authorization header is 401 unauthenticated", async () => {
    assert.equal((await api("GET", "/api/v1/users/me")).status, 401);
    const res = await api("GET", "/api/v1/users/me", { headers: { authorization: "Basic abc" } });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, "unauthenticated");
  });
});

describe("accounts: logout and refresh", () => {
  it("after logout the access token is 401 and its refresh token is invalid_refresh_token", async () => {
    const user = await newUser("logout");
    const out = await api("POST", "/api/v1/auth/logout", { token: user.token });
    assert.equal(out.status, 204);
    await assertUnauthenticated(user.token);
    const res = await refresh(user.refreshToken);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, "invalid_refresh_token");
  });

  it("logout leaves the user's other sessions alone", async () => {
    const user = await newUser("othersession");
    const second = await api("POST", "/api/v1/auth/login", { body: { username: user.username, password: user.password } });
    await api("POST", "/api/v1/auth/logout", { token: user.token });
    assert.equal((await me(second.body.access_token)).status, 200);
  });

  it("refresh rotates: a new pair that works, with the same session", async () => {
    const user = await newUser("rotate");
    const res = await refresh(user.refreshToken);
    assert.equal(res.status, 200);
    assert.notEqual(res.body.refresh_token, user.refreshToken);
    assert.equal(sessionOf(res.body.access_token), sessionOf(user.token));
    assert.equal((await me(res.body.access_token)).status, 200);
  });

  it("reusing a rotated refresh token is 401 refresh_token_reused and revokes the whole family", async () => {
    const user = await newUser("reuse");
    const first = await refresh(user.refreshToken);
    const second = await refresh(first.body.refresh_token);
    assert.equal(second.status, 200);
    const reuse = await refresh(user.refreshToken);
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.code, "refresh_token_reused");
    const newest = await refresh(second.body.refresh_token);
    assert.equal(newest.status, 401);
    assert.equal(newest.body.code, "invalid_refresh_token");
    await assertUnauthenticated(second.body.access_token);
  });

  it("an unknown refresh token and a missing field are refused", async () => {
    const res = await refresh("no-such-token");
    assert.equal(res.status, 401);
    assert.equal(res.body.code, "invalid_refresh_token");
    const missing = await api("POST", "/api/v1/auth/refresh", { body: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errors[0].field, "refresh_token");
  });

  it("refresh of a disabled user's token is refused", async () => {
    const user = await newUser("refdis");
    const admin = await adminUser();
    await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    const res = await refresh(user.refreshToken);
    assert.equal(res.status, 401);
    await assertUnauthenticated(user.token);
  });
});
