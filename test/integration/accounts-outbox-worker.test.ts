import assert from "node:assert/strict";
import { adminUser, api, uniqueName } from "../support/api";
import { freePort } from "../support/server";
import { startServerProcess, type ServerProcess } from "../support/process";
import { embeddedOnly } from "../support/backend";

/**
 * The worker only runs with SMTP_URL set. Pointed at a port where nothing listens,
 * every attempt fails, so a mail ends up "failed" after its last attempt instead of
 * being retried forever.
 */
describe("accounts: outbox worker (spawned server, unreachable SMTP)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(90_000);
  let srv: ServerProcess;

  before(async () => {
    srv = await startServerProcess({ SMTP_URL: `smtp://127.0.0.1:${await freePort()}`, OUTBOX_RETRY_BASE_MS: "200" });
  });
  after(async () => {
    await srv?.stop();
  });

  it("retries a mail it cannot deliver and marks it failed after the last attempt", async () => {
    const username = uniqueName("smtp");
    const email = `${username}@example.test`;
    const reg = await api("POST", "/api/v1/auth/register", { body: { username, email, password: "correct-horse-1" }, base: srv.url });
    assert.equal(reg.status, 201);
    assert.equal((await api("POST", "/api/v1/auth/forgot-password", { body: { email }, base: srv.url })).status, 202);
    const admin = await adminUser(srv.url);
    // Five attempts, 0.2 + 0.4 + 0.8 + 1.6 s apart, each found by a poll of the worker (every 2 s).
    const deadline = Date.now() + 60_000;
    let status = "pending";
    while (status === "pending" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const outbox = await api("GET", "/api/v1/admin/outbox", { token: admin.token, base: srv.url });
      status = outbox.body.items.find((m: { to: string }) => m.to === email)?.status ?? "missing";
    }
    assert.equal(status, "failed");
  });
});
