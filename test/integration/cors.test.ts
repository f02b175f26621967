import assert from "node:assert/strict";
import { startServerProcess, type ServerProcess } from "../support/process";
import { embeddedOnly } from "../support/backend";

/** CORS_ORIGINS governs both the REST routes and Colyseus's matchmaking routes. */
describe("CORS with CORS_ORIGINS=https://game.example (spawned server)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(120_000);
  let srv: ServerProcess;

  before(async () => {
    srv = await startServerProcess({ CORS_ORIGINS: "https://game.example" });
  });
  after(async () => {
    await srv?.stop();
  });

  const preflight = (path: string, origin: string) =>
    fetch(srv.url + path, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });

  it("allows the configured origin on REST and on matchmaking", async () => {
    for (const path of ["/api/v1/auth/login", "/matchmake/joinOrCreate/inbox"]) {
      const res = await preflight(path, "https://game.example");
      assert.ok(res.status < 300, `${path} preflight answered ${res.status}`);
      assert.equal(res.headers.get("access-control-allow-origin"), "https://game.example", path);
    }
    const get = await fetch(`${srv.url}/healthz`, { headers: { origin: "https://game.example" } });
    assert.equal(get.headers.get("access-control-allow-origin"), "https://game.example");
  });

  it("never grants another origin, on REST or on matchmaking", async () => {
    for (const path of ["/api/v1/auth/login", "/matchmake/joinOrCreate/inbox"]) {
      const res = await preflight(path, "https://evil.example");
      const allowed = res.headers.get("access-control-allow-origin");
      assert.ok(allowed !== "https://evil.example" && allowed !== "*", `${path} granted ${allowed}`);
    }
    const get = await fetch(`${srv.url}/healthz`, { headers: { origin: "https://evil.example" } });
    const allowed = get.headers.get("access-control-allow-origin");
    assert.ok(allowed !== "https://evil.example" && allowed !== "*", `/healthz granted ${allowed}`);
  });
});
