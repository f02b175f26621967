import assert from "node:assert/strict";
import { TavernLocalPresence } from "../../infra/presence";
import { createLogger } from "../../infra/logger";
import { VersionedCache } from "../../services/versioned-cache";

const logger = createLogger("silent");

describe("versioned cache-aside", () => {
  it("serves a stored value until a write invalidates it", async () => {
    const cache = new VersionedCache(new TavernLocalPresence(), 60, logger);
    let loads = 0;
    const load = async () => ++loads;
    assert.deepEqual(await cache.get("k", load), { value: 1, hit: false });
    assert.deepEqual(await cache.get("k", load), { value: 1, hit: true });
    await cache.invalidate("k");
    assert.deepEqual(await cache.get("k", load), { value: 2, hit: false });
  });

  it("a read that began before a write cannot put its old value back", async () => {
    const cache = new VersionedCache(new TavernLocalPresence(), 60, logger);
    let db = "old";
    let release!: () => void;
    const slowRead = cache.get("k", async () => {
      const seen = db;
      await new Promise<void>((resolve) => (release = resolve));
      return seen;
    });
    await new Promise((r) => setTimeout(r, 10));
    db = "new";
    await cache.invalidate("k");
    release();
    assert.equal((await slowRead).value, "old", "the slow reader itself answers what it read");
    assert.deepEqual(await cache.get("k", async () => db), { value: "new", hit: false }, "the next reader does not see the old value");
    assert.deepEqual(await cache.get("k", async () => db), { value: "new", hit: true });
  });

  it("serves JSON text as stored, and a write to the list its generation follows makes it a miss", async () => {
    const cache = new VersionedCache(new TavernLocalPresence(), 60, logger);
    let loads = 0;
    const load = async () => ({ items: [`v${++loads}`], total: 1 });
    assert.deepEqual(await cache.getJson("list:page:50:0", load, "list"), { json: '{"items":["v1"],"total":1}', hit: false });
    assert.deepEqual(await cache.getJson("list:page:50:0", load, "list"), { json: '{"items":["v1"],"total":1}', hit: true });
    await cache.invalidate("list");
    assert.deepEqual(await cache.getJson("list:page:50:0", load, "list"), { json: '{"items":["v2"],"total":1}', hit: false });
  });

  it("a loader that finds nothing is not cached", async () => {
    const cache = new VersionedCache(new TavernLocalPresence(), 60, logger);
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };
    assert.deepEqual(await cache.get("k", load), { value: undefined, hit: false });
    assert.deepEqual(await cache.get("k", load), { value: undefined, hit: false });
    assert.equal(loads, 2);
  });

  it("a presence that fails on every call is a miss, never an error", async () => {
    const broken = new Proxy(new TavernLocalPresence(), {
      get: (target, prop) => (typeof (target as never)[prop] === "function" ? () => Promise.reject(new Error("down")) : (target as never)[prop]),
    }) as TavernLocalPresence;
    const cache = new VersionedCache(broken, 60, logger);
    assert.deepEqual(await cache.get("k", async () => 7), { value: 7, hit: false });
    await cache.invalidate("k");
  });
});
