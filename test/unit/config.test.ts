import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CONFIG_VARIABLES, ConfigError, loadConfig, parseDurationSeconds } from "../../config";

const memory = { DATABASE_URL: "pglite://memory" };

describe("configuration", () => {
  it("fills every variable with its documented default", () => {
    const c = loadConfig(memory);
    assert.equal(c.PORT, 2567);
    assert.equal(c.JWT_TTL, 900);
    assert.equal(c.REFRESH_TTL, 30 * 86400);
    assert.equal(c.WORLD_ZONE_ID, "starter");
    assert.equal(c.WORLD_TICK_RATE, 20);
    assert.equal(c.WS_MAX_MESSAGES_PER_SECOND, 30);
    assert.equal(c.HEAP_GROWING_PERCENT, 100);
    assert.equal(c.REQUIRE_EMAIL_VERIFICATION, false);
    assert.equal(c.CORS_ORIGINS, "*");
    assert.equal(c.JWT_SECRET.length, 64);
  });

  it("names every invalid variable at once", () => {
    assert.throws(
      () => loadConfig({ ...memory, PORT: "eighty", WORLD_TICK_RATE: "0", REDIS_URL: "http://x", JWT_TTL: "soon", HEAP_GROWING_PERCENT: "-5" }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const vars = err.problems.map((p) => p.split(":")[0]).sort();
        assert.deepEqual(vars, ["HEAP_GROWING_PERCENT", "JWT_TTL", "PORT", "REDIS_URL", "WORLD_TICK_RATE"]);
        return true;
      },
    );
  });

  it("refuses to start in production without JWT_SECRET", () => {
    assert.throws(
      () => loadConfig({ ...memory, NODE_ENV: "production", PAYMENT_WEBHOOK_SECRET: "x".repeat(32) }),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith("JWT_SECRET")),
    );
  });

  it("reads durations with units", () => {
    assert.equal(parseDurationSeconds("15m"), 900);
    assert.equal(parseDurationSeconds("30d"), 2_592_000);
    assert.equal(parseDurationSeconds("45"), 45);
    assert.equal(loadConfig({ ...memory, JWT_TTL: "2h" }).JWT_TTL, 7200);
  });

  it("parses CORS_ORIGINS as a list", () => {
    assert.deepEqual(loadConfig({ ...memory, CORS_ORIGINS: "https://a.test, https://b.test" }).CORS_ORIGINS, [
      "https://a.test",
      "https://b.test",
    ]);
  });

  it("reads TRUST_PROXY as Express takes it: a boolean, a hop count or a list of addresses", () => {
    assert.deepEqual(loadConfig(memory).TRUST_PROXY, ["loopback"]);
    assert.equal(loadConfig({ ...memory, TRUST_PROXY: "false" }).TRUST_PROXY, false);
    assert.equal(loadConfig({ ...memory, TRUST_PROXY: "2" }).TRUST_PROXY, 2);
    assert.deepEqual(loadConfig({ ...memory, TRUST_PROXY: "loopback, 10.0.0.0/8" }).TRUST_PROXY, ["loopback", "10.0.0.0/8"]);
    assert.throws(() => loadConfig({ ...memory, TRUST_PROXY: "every$thing" }), ConfigError);
  });

  it("keeps a generated development secret in DATA_DIR across restarts", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-config-"));
    try {
      const first = loadConfig({ DATA_DIR: dir }).JWT_SECRET;
      assert.equal(loadConfig({ DATA_DIR: dir }).JWT_SECRET, first);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("turns /demo on outside production and off in production, unless DEMO_ENABLED says otherwise", () => {
    const production = { ...memory, NODE_ENV: "production", JWT_SECRET: "j".repeat(32), PAYMENT_WEBHOOK_SECRET: "p".repeat(32) };
    assert.equal(loadConfig(memory).DEMO_ENABLED, true);
    assert.equal(loadConfig({ ...memory, NODE_ENV: "test" }).DEMO_ENABLED, true);
    assert.equal(loadConfig({ ...memory, DEMO_ENABLED: "false" }).DEMO_ENABLED, false);
    assert.equal(loadConfig(production).DEMO_ENABLED, false);
    assert.equal(loadConfig({ ...production, DEMO_ENABLED: "true" }).DEMO_ENABLED, true);
    assert.throws(() => loadConfig({ ...memory, DEMO_ENABLED: "maybe" }), ConfigError);
  });

  it("turns /playground on outside production and off in production, where switching it on needs the tools' credentials", () => {
    const production = { ...memory, NODE_ENV: "production", JWT_SECRET: "j".repeat(32), PAYMENT_WEBHOOK_SECRET: "p".repeat(32) };
    const credentials = { MONITOR_USER: "ops", MONITOR_PASSWORD: "monitor-secret-0" };
    assert.equal(loadConfig(memory).PLAYGROUND_ENABLED, true);
    assert.equal(loadConfig({ ...memory, NODE_ENV: "test" }).PLAYGROUND_ENABLED, true);
    assert.equal(loadConfig({ ...memory, PLAYGROUND_ENABLED: "false" }).PLAYGROUND_ENABLED, false);
    assert.equal(loadConfig(production).PLAYGROUND_ENABLED, false);
    assert.equal(loadConfig({ ...production, ...credentials, PLAYGROUND_ENABLED: "true" }).PLAYGROUND_ENABLED, true);
    assert.throws(() => loadConfig({ ...production, PLAYGROUND_ENABLED: "true" }), /PLAYGROUND_ENABLED: in production the playground needs MONITOR_USER and MONITOR_PASSWORD/);
  });

  it("opens /monitor outside production, keeps it off in production, and puts it behind credentials when they are set", () => {
    const production = { ...memory, NODE_ENV: "production", JWT_SECRET: "j".repeat(32), PAYMENT_WEBHOOK_SECRET: "p".repeat(32) };
    assert.equal(loadConfig(memory).MONITOR_ENABLED, true);
    assert.equal(loadConfig(production).MONITOR_ENABLED, false);
    const guarded = loadConfig({ ...production, MONITOR_USER: "ops", MONITOR_PASSWORD: "monitor-secret-0" });
    assert.equal(guarded.MONITOR_ENABLED, true);
    assert.equal(guarded.MONITOR_USER, "ops");
    assert.throws(() => loadConfig({ ...memory, MONITOR_USER: "ops" }), /MONITOR_USER and MONITOR_PASSWORD must be set together/);
    assert.throws(() => loadConfig({ ...memory, MONITOR_PASSWORD: "monitor-secret-0" }), /must be set together/);
    assert.throws(() => loadConfig({ ...memory, MONITOR_USER: "ops", MONITOR_PASSWORD: "short" }), /MONITOR_PASSWORD: must be at least 12 characters/);
    assert.throws(() => loadConfig({ ...memory, MONITOR_USER: "o:ps", MONITOR_PASSWORD: "monitor-secret-0" }), /MONITOR_USER: must not contain a colon/);
  });

  it("GENERATOR=openai needs LLM_BASE_URL and LLM_MODEL, and names both when they are missing", () => {
    assert.throws(
      () => loadConfig({ ...memory, GENERATOR: "openai" }),
      (err: unknown) => err instanceof ConfigError && ["LLM_BASE_URL", "LLM_MODEL"].every((v) => err.problems.some((p) => p.startsWith(v))),
    );
    const c = loadConfig({ ...memory, GENERATOR: "openai", LLM_BASE_URL: "http://127.0.0.1:11434/v1", LLM_MODEL: "llama3" });
    assert.equal(c.LLM_TIMEOUT_SECONDS, 120);
    assert.equal(c.GENERATOR_PACE_MS, 15);
  });

  it(".env.example documents every variable the server reads", () => {
    const example = fs.readFileSync(path.resolve(__dirname, "../../.env.example"), "utf8");
    const documented = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    assert.deepEqual(CONFIG_VARIABLES.filter((v) => !documented.has(v)), []);
  });
});
