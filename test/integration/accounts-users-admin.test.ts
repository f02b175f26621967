import assert from "node:assert/strict";
import { adminUser, api, newUser, uniqueName, userWithRoles } from "../support/api";
import { strongPassword } from "../support/mail";

const login = (username: string, password: string) => api("POST", "/api/v1/auth/login", { body: { username, password } });
const changePassword = (token: string, body: Record<string, unknown>) => api("PUT", "/api/v1/users/me/password", { token, body });

describe("accounts: password change", () => {
  it("PUT /users/me/password is 204, keeps the caller's session and ends the others", async () => {
    const user = await newUser("chpw");
    const other = await login(user.username, user.password);
    const res = await changePassword(user.token, { current_password: user.password, new_password: strongPassword });
    assert.equal(res.status, 204);
    assert.equal((await api("GET", "/api/v1/users/me", { token: user.token })).status, 200);
    assert.equal((await api("GET", "/api/v1/users/me", { token: other.body.access_token })).status, 401);
    assert.equal((await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: other.body.refresh_token } })).status, 401);
    assert.equal((await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: user.refreshToken } })).status, 200);
    assert.equal((await login(user.username, strongPassword)).status, 200);
    assert.equal((await login(user.username, user.password)).status, 401);
  });

  it("a wrong current password is 401 invalid_credentials and changes nothing", async () => {
    const user = await newUser("chpwbad");
    const res = await changePassword(user.token, { current_password: "wrong-password-1", new_password: strongPassword });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, "invalid_credentials");
    assert.equal((await login(user.username, user.password)).status, 200);
  });

  it("a weak new password is 400 weak_password naming new_password", async () => {
    const user = await newUser("chpwweak");
    const res = await changePassword(user.token, { current_password: user.password, new_password: "short1" });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "weak_password");
    assert.equal(res.body.errors[0].field, "new_password");
  });

  it("missing fields are named and no token is 401", async () => {
    const user = await newUser("chpwmiss");
    const res = await changePassword(user.token, {});
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field).sort(), ["current_password", "new_password"]);
    assert.equal((await api("PUT", "/api/v1/users/me/password", { body: { current_password: "a", new_password: "b" } })).status, 401);
  });
});

describe("accounts: user directory", () => {
  it("GET /users?q= lists {id, username} whose username starts with q, case-insensitively, paginated", async () => {
    const prefix = uniqueName("dir").slice(0, 20);
    const a = await newUser(`${prefix}a`);
    const b = await newUser(`${prefix}b`);
    await newUser("unrelated");
    const res = await api("GET", `/api/v1/users?q=${prefix.toUpperCase()}`, { token: a.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 2);
    assert.deepEqual(res.body.items, [
      { id: a.id, username: a.username },
      { id: b.id, username: b.username },
    ]);
    const paged = await api("GET", `/api/v1/users?q=${prefix}&limit=1&offset=1`, { token: a.token });
    assert.deepEqual(paged.body, { items: [{ id: b.id, username: b.username }], total: 2, limit: 1, offset: 1 });
  });

  it("q's LIKE wildcards are taken literally", async () => {
    const user = await newUser("wild");
    const res = await api("GET", "/api/v1/users?q=%25", { token: user.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 0);
  });

  it("GET /users is 401 without a token and 400 with an unknown parameter", async () => {
    const user = await newUser("dirbad");
    assert.equal((await api("GET", "/api/v1/users?q=a")).status, 401);
    const res = await api("GET", "/api/v1/users?role=admin", { token: user.token });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
  });

  it("GET /users/{id} is {id, username, created_at}; an unknown or malformed id is 404 user not found", async () => {
    const me = await newUser("prof");
    const other = await newUser("profother");
    const res = await api("GET", `/api/v1/users/${other.id}`, { token: me.token });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ["created_at", "id", "username"]);
    assert.equal(res.body.username, other.username);
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const missing = await api("GET", `/api/v1/users/${id}`, { token: me.token });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, "not_found");
      assert.equal(missing.body.detail, "user not found");
    }
  });
});

describe("accounts: administration", () => {
  it("GET /admin/users filters by prefix and role and shows full users", async () => {
    const admin = await adminUser();
    const user = await newUser("adm");
    const res = await api("GET", `/api/v1/admin/users?q=${user.username}`, { token: admin.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 1);
    assert.equal(res.body.items[0].email, user.email);
    const admins = await api("GET", "/api/v1/admin/users?role=admin&limit=100", { token: admin.token });
    assert.ok(admins.body.items.every((u: { roles: string[] }) => u.roles.includes("admin")));
    assert.ok(admins.body.items.some((u: { id: string }) => u.id === admin.id));
    assert.equal((await api("GET", "/api/v1/admin/users?role=king", { token: admin.token })).status, 400);
  });

  it("PATCH /admin/users/{id} grants roles (player always kept) that the next login carries", async () => {
    const admin = await adminUser();
    const user = await newUser("grant");
    const res = await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { roles: ["maintainer"] } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.roles.sort(), ["maintainer", "player"]);
    const again = await login(user.username, user.password);
    assert.deepEqual(again.body.user.roles.sort(), ["maintainer", "player"]);
  });

  it("disabling a user ends their sessions at once", async () => {
    const admin = await adminUser();
    const user = await newUser("disable");
    const res = await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    assert.equal(res.status, 200);
    assert.equal(res.body.is_active, false);
    assert.equal((await api("GET", "/api/v1/users/me", { token: user.token })).status, 401);
    const enable = await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: true } });
    assert.equal(enable.body.is_active, true);
    assert.equal((await login(user.username, user.password)).status, 200);
  });

  it("logins racing a disable never leave a working session behind", async () => {
    const admin = await adminUser();
    for (let round = 0; round < 3; round++) {
      const user = await newUser("race");
      const logins = Array.from({ length: 12 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 3)).then(() => login(user.username, user.password)),
      );
      const disable = new Promise((r) => setTimeout(r, 15)).then(() =>
        api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } }),
      );
      const [results, disabled] = await Promise.all([Promise.all(logins), disable]);
      assert.equal(disabled.status, 200);
      for (const res of results) {
        if (res.status !== 200) {
          assert.equal(res.body.code, "account_disabled");
          continue;
        }
        assert.equal((await api("GET", "/api/v1/users/me", { token: res.body.access_token })).status, 401, "an access token outlived the disable");
        const refresh = await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: res.body.refresh_token } });
        assert.equal(refresh.status, 401, "a refresh token outlived the disable");
      }
    }
  });

  it("logins with the old password racing a password change never leave a working session behind", async () => {
    for (let round = 0; round < 3; round++) {
      const user = await newUser("pwrace");
      const logins = Array.from({ length: 12 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 3)).then(() => login(user.username, user.password)),
      );
      const change = new Promise((r) => setTimeout(r, 15)).then(() =>
        api("PUT", "/api/v1/users/me/password", { token: user.token, body: { current_password: user.password, new_password: "another-horse-2" } }),
      );
      const [results, changed] = await Promise.all([Promise.all(logins), change]);
      assert.equal(changed.status, 204);
      for (const res of results) {
        if (res.status !== 200) {
          assert.equal(res.body.code, "invalid_credentials");
          continue;
        }
        assert.equal((await api("GET", "/api/v1/users/me", { token: res.body.access_token })).status, 401, "an access token from the old password outlived the change");
        const refresh = await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: res.body.refresh_token } });
        assert.equal(refresh.status, 401, "a refresh token from the old password outlived the change");
      }
      assert.equal((await api("GET", "/api/v1/users/me", { token: user.token })).status, 200, "the session that changed the password goes on");
    }
  });

  it("taking a role away ends the user's sessions at once, so the old token's rights end with it", async () => {
    const admin = await adminUser();
    const demoted = await userWithRoles("demoted", ["admin"]);
    assert.equal((await api("GET", "/api/v1/admin/users", { token: demoted.token })).status, 200);
    const res = await api("PATCH", `/api/v1/admin/users/${demoted.id}`, { token: admin.token, body: { roles: ["player"] } });
    assert.deepEqual(res.body.roles, ["player"]);
    const stale = await api("GET", "/api/v1/admin/users", { token: demoted.token });
    assert.equal(stale.status, 401);
    const again = await login(demoted.username, demoted.password);
    assert.deepEqual(again.body.user.roles, ["player"]);
    assert.equal((await api("GET", "/api/v1/admin/users", { token: again.body.access_token })).status, 403);
  });

  it("GET /users/me, served from a cache, shows each change to the user at once", async () => {
    const admin = await adminUser();
    const user = await newUser("mecache");
    const first = await api("GET", "/api/v1/users/me", { token: user.token });
    assert.deepEqual(first.body.roles, ["player"]);
    assert.deepEqual((await api("GET", "/api/v1/users/me", { token: user.token })).body, first.body, "a cached read is the same view");
    await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { roles: ["maintainer"] } });
    assert.deepEqual([...(await api("GET", "/api/v1/users/me", { token: user.token })).body.roles].sort(), ["maintainer", "player"]);
    const again = await login(user.username, user.password);
    const me = await api("GET", "/api/v1/users/me", { token: again.body.access_token });
    assert.equal(me.body.last_login_at, again.body.user.last_login_at, "the new login's time");
  });

  it("granting a role keeps the user's sessions", async () => {
    const admin = await adminUser();
    const user = await newUser("keep");
    await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { roles: ["maintainer"] } });
    assert.equal((await api("GET", "/api/v1/users/me", { token: user.token })).status, 200);
  });

  it("PATCH of an unknown user is 404; unknown fields and roles are 400", async () => {
    const admin = await adminUser();
    const missing = await api("PATCH", "/api/v1/admin/users/00000000-0000-4000-8000-000000000000", { token: admin.token, body: { is_active: false } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.detail, "user not found");
    const user = await newUser("patchbad");
    const bad = await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { roles: ["king"], email: "x@y.z" } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field).sort(), ["email", "roles.0"]);
  });

  it("a player on the admin routes is 403 forbidden", async () => {
    const user = await newUser("notadmin");
    for (const [method, path] of [
      ["GET", "/api/v1/admin/users"],
      ["PATCH", `/api/v1/admin/users/${user.id}`],
      ["GET", "/api/v1/admin/outbox"],
    ] as const) {
      const res = await api(method, path, { token: user.token, body: method === "PATCH" ? { roles: ["admin"] } : undefined });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, "forbidden");
    }
  });
});
