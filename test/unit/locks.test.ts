import assert from "node:assert/strict";
import { LocalPresence } from "@colyseus/core";
import { LockBusyError, PresenceLocks } from "../../infra/locks";

describe("presence locks", () => {
  it("a lease is granted to one holder at a time and free again once released", async () => {
    const locks = new PresenceLocks(new LocalPresence());
    const release = await locks.tryAcquire("a", 5);
    assert.ok(release);
    assert.equal(await locks.tryAcquire("a", 5), undefined);
    await release();
    assert.ok(await locks.tryAcquire("a", 5));
  });

  it("run serialises work on one name: 20 parallel increments never overlap", async () => {
    const locks = new PresenceLocks(new LocalPresence());
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        locks.run("b", { ttlSeconds: 5, waitMs: 5000 }, async () => {
          maxInside = Math.max(maxInside, ++inside);
          await new Promise((r) => setTimeout(r, 2));
          inside--;
        }),
      ),
    );
    assert.equal(maxInside, 1);
  });

  it("run gives up with LockBusyError when the lease stays taken", async () => {
    const locks = new PresenceLocks(new LocalPresence());
    await locks.tryAcquire("c", 5);
    await assert.rejects(locks.run("c", { ttlSeconds: 5, waitMs: 50 }, async () => 1), LockBusyError);
  });

  it("an acquire whose answer was lost after the lease was taken leaves the lease free, not held by nobody", async () => {
    const presence = new LocalPresence();
    const lossy = Object.assign(Object.create(presence) as LocalPresence, {
      async hincrbyex(key: string, field: string, value: number, ttl: number): Promise<number> {
        await presence.hincrbyex(key, field, value, ttl);
        throw new Error("Command timed out");
      },
    });
    await assert.rejects(new PresenceLocks(lossy).tryAcquire("e", 60), /timed out/);
    assert.ok(await new PresenceLocks(presence).tryAcquire("e", 60));
  });

  it("run answers its work's result even when the release fails; the lease then lapses with its ttl", async () => {
    const presence = new LocalPresence();
    const failingRelease = Object.assign(Object.create(presence) as LocalPresence, {
      async hdel(): Promise<boolean> {
        throw new Error("Connection is closed.");
      },
    });
    assert.equal(await new PresenceLocks(failingRelease).run("f", { ttlSeconds: 1, waitMs: 50 }, async () => "done"), "done");
    assert.equal(await new PresenceLocks(presence).tryAcquire("f", 1), undefined);
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok(await new PresenceLocks(presence).tryAcquire("f", 1));
  });

  it("a lease its holder never released expires after its ttl", async () => {
    const locks = new PresenceLocks(new LocalPresence());
    await locks.tryAcquire("d", 1);
    assert.equal(await locks.tryAcquire("d", 1), undefined);
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok(await locks.tryAcquire("d", 1));
  });
});
