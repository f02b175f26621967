import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { EventBus, type DomainEvent } from "../../infra/events";
import { createLogger } from "../../infra/logger";
import { Notifications } from "../../services/notifications";
import { newUser } from "../support/api";
import { eventually } from "../support/eventually";
import { sdk } from "../support/server";

/**
 * The inbox end of notifications: what a service announces after a commit reaches every
 * device of that user. The booted server shares this process's presence, so the
 * notifier is wired here exactly as arena.config.ts wires it.
 */
describe("inbox notifications", () => {
  const notifier = () => new Notifications(matchMaker.presence, new EventBus(matchMaker.presence), createLogger("silent"));

  it("a notification reaches every device of its user as notification {kind, data, created_at}, and nobody else", async () => {
    const [alice, bob] = await Promise.all([newUser("ntfa"), newUser("ntfb")]);
    const phone = await sdk(alice.token).joinOrCreate("inbox", {});
    const laptop = await sdk(alice.token).joinOrCreate("inbox", {});
    const other = await sdk(bob.token).joinOrCreate("inbox", {});
    const seen = { phone: [] as any[], laptop: [] as any[], other: [] as any[] };
    phone.onMessage("notification", (n) => seen.phone.push(n));
    laptop.onMessage("notification", (n) => seen.laptop.push(n));
    other.onMessage("notification", (n) => seen.other.push(n));
    try {
      await notifier().notify(alice.id, "points_changed", { balance: 120, delta: 20 });
      await eventually(() => seen.phone.length === 1 && seen.laptop.length === 1, "both devices notified");
      assert.equal(seen.phone[0].kind, "points_changed");
      assert.deepEqual(seen.phone[0].data, { balance: 120, delta: 20 });
      assert.ok(!Number.isNaN(Date.parse(seen.phone[0].created_at)));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(seen.other.length, 0);
    } finally {
      await Promise.all([phone.leave(), laptop.leave(), other.leave()]);
    }
  });

  it("a notification is also a domain event on the bus, naming its user", async () => {
    const user = await newUser("ntfe");
    const bus = new EventBus(matchMaker.presence);
    const received: DomainEvent[] = [];
    const undo = await bus.subscribe("job.updated", (e) => received.push(e));
    try {
      await notifier().notify(user.id, "job_updated", { job_id: "j1", status: "completed" });
      await eventually(() => received.some((e) => (e.data as { job_id?: string }).job_id === "j1"), "job.updated event");
      assert.deepEqual(received.find((e) => (e.data as { job_id?: string }).job_id === "j1")!.data, { user_id: user.id, job_id: "j1", status: "completed" });
    } finally {
      undo();
    }
  });
});
