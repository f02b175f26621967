import assert from "node:assert/strict";
import { LocalPresence, type Presence } from "@colyseus/core";
import { RedisPresence } from "@colyseus/redis-presence";
import { EventBus, type DomainEvent } from "../../infra/events";

/** Publisher and subscriber: one shared in-process presence, or two Redis connections (as two processes have). */
type Pair = () => [Presence, Presence];
const presences: Array<[string, Pair]> = [
  ["local presence", () => {
    const p = new LocalPresence();
    return [p, p];
  }],
];
const redisUrl = process.env.TEST_REDIS_URL;
if (redisUrl) presences.push(["Redis presence", () => [new RedisPresence(redisUrl), new RedisPresence(redisUrl)]]);

for (const [name, make] of presences) {
  describe(`event bus on ${name}`, () => {
    it("delivers a published event to a subscriber of its type, as {type, id, at, data}", async () => {
      const [publisherSide, subscriberSide] = make();
      try {
        const received = new Promise<DomainEvent<{ n: number }>>((resolve) => {
          void new EventBus(subscriberSide).subscribe<{ n: number }>("test.happened", resolve);
        });
        await new Promise((r) => setTimeout(r, 50));
        const sent = await new EventBus(publisherSide).publish("test.happened", { n: 42 });
        const event = await received;
        assert.equal(event.type, "test.happened");
        assert.equal(event.id, sent.id);
        assert.deepEqual(event.data, { n: 42 });
        assert.ok(!Number.isNaN(Date.parse(event.at)));
      } finally {
        publisherSide.shutdown();
        if (subscriberSide !== publisherSide) subscriberSide.shutdown();
      }
    });

    it("does not deliver events of another type", async () => {
      const [presence, other] = make();
      if (other !== presence) other.shutdown();
      try {
        const bus = new EventBus(presence);
        const seen: string[] = [];
        const off = await bus.subscribe("test.a", (e) => seen.push(e.type));
        await bus.publish("test.b", {});
        await bus.publish("test.a", {});
        await new Promise((r) => setTimeout(r, 100));
        off();
        assert.deepEqual(seen, ["test.a"]);
      } finally {
        presence.shutdown();
      }
    });
  });
}
