import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { api } from "../support/api";
import { startServerProcess } from "../support/process";
import { embeddedOnly } from "../support/backend";

/** BOOTSTRAP_ADMIN_* ensures an admin without ever promoting an account that is not the operator's. */
describe("accounts: bootstrap admin (spawned servers on one embedded database)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(120_000);
  let dataDir = "";
  const noBootstrap = { BOOTSTRAP_ADMIN_USERNAME: "", BOOTSTRAP_ADMIN_EMAIL: "", BOOTSTRAP_ADMIN_PASSWORD: "" };
  const bootstrap = (email: string) => ({ BOOTSTRAP_ADMIN_USERNAME: "boss", BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: "boss-password-1" });

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-bootstrap-"));
  });
  after(() => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("a player who registered the admin's username first is not made admin: the server refuses to start, naming the clash", async () => {
    const env = { DATABASE_URL: "", DATA_DIR: dataDir };
    const first = await startServerProcess({ ...env, ...noBootstrap });
    const reg = await api("POST", "/api/v1/auth/register", { base: first.url, body: { username: "boss", email: "squatter@example.test", password: "squat-password-1" } });
    assert.equal(reg.status, 201);
    assert.equal(await first.stop(), 0);

    await assert.rejects(startServerProcess({ ...env, ...bootstrap("boss@example.test") }), (err: Error) => {
      assert.match(err.message, /exited with 1/);
      assert.match(err.message, /BOOTSTRAP_ADMIN_\*: the account boss exists with another email than boss@example\.test/);
      assert.doesNotMatch(err.message, /at .*\.ts:\d+/, "no stack trace");
      return true;
    });

    const again = await startServerProcess({ ...env, ...noBootstrap });
    try {
      const login = await api("POST", "/api/v1/auth/login", { base: again.url, body: { username: "boss", password: "squat-password-1" } });
      assert.deepEqual(login.body.user.roles, ["player"], "the squatter is still a player");
    } finally {
      await again.stop();
    }
  });
});
