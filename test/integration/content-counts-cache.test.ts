import assert from "node:assert/strict";
import { LocalPresence, type Presence } from "@colyseus/core";
import { Database } from "../../infra/database";
import { createLogger } from "../../infra/logger";
import { ContentCountsService } from "../../services/metrics/content-counts";
import { server } from "../support/server";

/** A presence whose every call fails the way `mode` says, and that counts the calls. */
function brokenPresence(mode: "throws" | "rejects" | "hangs"): Presence & { calls: number } {
  const state = { calls: 0 };
  return new Proxy(state, {
    get(target, prop) {
      if (prop === "calls") return target.calls;
      return () => {
        target.calls++;
        if (mode === "throws") throw new Error("presence is down");
        if (mode === "rejects") return Promise.reject(new Error("presence is down"));
        return new Promise(() => {});
      };
    },
  }) as unknown as Presence & { calls: number };
}

/**
 * The server's presence cannot be broken from outside without breaking the server, so
 * the service is wired here as arena.config.ts wires it, on the server's database (a
 * fresh one on the embedded backend), with a presence that fails on every call.
 */
describe("content counts when the cache fails", () => {
  let db: Database;

  before(async function () {
    this.timeout(30_000);
    db = new Database({ DATABASE_URL: server().backend.env.DATABASE_URL, DATA_DIR: "./data" }, createLogger("silent"));
    await db.start();
  });

  after(() => db?.stop());

  /** Adds two users, three characters (one public) and one message; returns what it added. */
  async function seed() {
    const [a, b] = (await db.manager.query(
      `INSERT INTO users (username, email, password_hash)
       SELECT 'cc_' || n || '_' || md5(random()::text), 'cc_' || n || '_' || md5(random()::text) || '@example.test', 'x'
       FROM generate_series(1, 2) AS n RETURNING id`,
    )) as { id: string }[];
    await db.manager.query(
      `INSERT INTO characters (owner_id, name, class, zone_id, is_public)
       VALUES ($1, 'Counted one', 'adventurer', 'starter', true), ($1, 'Counted two', 'adventurer', 'starter', false), ($2, 'Counted three', 'adventurer', 'starter', false)`,
      [a!.id, b!.id],
    );
    await db.manager.query(`INSERT INTO messages (sender_id, recipient_id, content) VALUES ($1, $2, 'counted')`, [a!.id, b!.id]);
    return { users: 2, characters: 3, public_characters: 1, stories: 0, public_stories: 0, messages: 1 };
  }

  for (const mode of ["throws", "rejects", "hangs"] as const) {
    it(`a presence that ${mode} on every call: the counts still answer, from the database, and are correct`, async function () {
      this.timeout(10_000);
      const presence = brokenPresence(mode);
      const counts = new ContentCountsService(db, presence, createLogger("silent"));
      const before = await counts.get();
      const added = await seed();
      const after = await counts.get();
      assert.equal(after.cache, "miss");
      for (const [field, n] of Object.entries(added)) {
        assert.equal(after.counts[field as keyof typeof added] - before.counts[field as keyof typeof added], n, field);
      }
      assert.ok(presence.calls >= 4, "it tried the cache on both reads and wrote it after both computations");
    });
  }

  it("a cache entry that is not counts is ignored, and replaced", async () => {
    const presence = new LocalPresence();
    presence.set("metrics:content-counts", "{not json");
    const counts = new ContentCountsService(db, presence, createLogger("silent"));
    const first = await counts.get();
    assert.equal(first.cache, "miss");
    const second = await counts.get();
    assert.deepEqual(second, { counts: first.counts, cache: "hit" });
    presence.shutdown();
  });

  it("with a working cache the counts are served from it for a minute", async () => {
    const presence = new LocalPresence();
    const counts = new ContentCountsService(db, presence, createLogger("silent"));
    const first = await counts.get();
    await seed();
    const second = await counts.get();
    assert.deepEqual(second, { counts: first.counts, cache: "hit" });
    presence.shutdown();
  });
});
