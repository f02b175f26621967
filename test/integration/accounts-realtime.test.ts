import assert from "node:assert/strict";
import { adminUser, api, newUser } from "../support/api";
import { latestMail, strongPassword } from "../support/mail";
import { sdk } from "../support/server";

const CLOSE_REVOKED = 4401;

/** Joins the caller's inbox and resolves with the close code, or "open" if none arrives within `withinMs`. */
async function connection(token: string) {
  const room = await sdk(token).joinOrCreate("inbox", {});
  room.onMessage("*", () => {});
  let closedWith: number | undefined;
  const closed = new Promise<number>((resolve) => room.onLeave((code: number) => resolve((closedWith = code))));
  return {
    closedWithin: (withinMs: number) =>
      Promise.race([closed, new Promise<"open">((resolve) => setTimeout(() => resolve("open"), withinMs))]),
    stillOpen: () => closedWith === undefined,
    leave: () => room.leave(),
  };
}

describe("accounts: revocation reaches live connections", () => {
  it("an SDK client in a room is closed with 4401 within 2 s of that user's logout", async () => {
    const user = await newUser("rtlogout");
    const live = await connection(user.token);
    assert.equal((await api("POST", "/api/v1/auth/logout", { token: user.token })).status, 204);
    assert.equal(await live.closedWithin(2000), CLOSE_REVOKED);
  });

  it("disabling a user closes their connections with 4401", async () => {
    const user = await newUser("rtdisable");
    const live = await connection(user.token);
    const admin = await adminUser();
    await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    assert.equal(await live.closedWithin(2000), CLOSE_REVOKED);
  });

  it("a password reset closes the user's connections with 4401", async () => {
    const user = await newUser("rtreset");
    const live = await connection(user.token);
    await api("POST", "/api/v1/auth/forgot-password", { body: { email: user.email } });
    const { token } = (await latestMail(user.email))!;
    assert.equal((await api("POST", "/api/v1/auth/reset-password", { body: { token, new_password: strongPassword } })).status, 204);
    assert.equal(await live.closedWithin(2000), CLOSE_REVOKED);
  });

  it("a password change closes the other sessions' connections and keeps the caller's", async () => {
    const user = await newUser("rtchange");
    const other = await api("POST", "/api/v1/auth/login", { body: { username: user.username, password: user.password } });
    const mine = await connection(user.token);
    const theirs = await connection(other.body.access_token);
    const res = await api("PUT", "/api/v1/users/me/password", { token: user.token, body: { current_password: user.password, new_password: strongPassword } });
    assert.equal(res.status, 204);
    assert.equal(await theirs.closedWithin(2000), CLOSE_REVOKED);
    assert.ok(mine.stillOpen(), "the caller's own connection stays open");
    await mine.leave();
  });

  it("with a dozen users' rooms open, one user's logout closes only theirs with 4401, and the process warns of no listener leak", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const users = await Promise.all(Array.from({ length: 12 }, () => newUser("rthub")));
      const lives = await Promise.all(users.map((u) => connection(u.token)));
      assert.equal((await api("POST", "/api/v1/auth/logout", { token: users[0]!.token })).status, 204);
      assert.equal(await lives[0]!.closedWithin(2000), CLOSE_REVOKED);
      assert.ok(lives.slice(1).every((l) => l.stillOpen()), "the others stay connected");
      await Promise.all(lives.slice(1).map((l) => l.leave()));
      assert.deepEqual(warnings.filter((w) => w === "MaxListenersExceededWarning"), []);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("a join with a revoked token is refused", async () => {
    const user = await newUser("rtjoin");
    await api("POST", "/api/v1/auth/logout", { token: user.token });
    await assert.rejects(sdk(user.token).joinOrCreate("inbox", {}));
  });
});
