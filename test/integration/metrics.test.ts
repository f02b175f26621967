import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { adminUser, api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { scrape, series, valueOf, type Sample } from "../support/prometheus";
import { sdk } from "../support/server";

const HTTP_COUNT = "tavern_http_request_duration_seconds_count";

describe("GET /metrics", () => {
  let admin: { id: string; token: string };
  before(async () => {
    admin = await adminUser();
  });

  it("answers 401 without a token, saying which credentials it wants", async () => {
    const res = await api("GET", "/metrics");
    assert.equal(res.status, 401);
    assert.equal(res.body.code, "unauthenticated");
    assert.match(res.body.detail, /METRICS_TOKEN/);
    assert.match(res.body.detail, /admin/);
  });

  it("answers 401 with the same explanation to a token that is neither METRICS_TOKEN nor a valid access token", async () => {
    const res = await api("GET", "/metrics", { token: "not-the-metrics-token" });
    assert.equal(res.status, 401);
    assert.match(res.body.detail, /METRICS_TOKEN/);
  });

  it("answers 403 to a player", async () => {
    const player = await newUser("metrics");
    const res = await api("GET", "/metrics", { token: player.token });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, "forbidden");
  });

  it("serves Prometheus text to an admin, with process metrics and the world tick figures", async () => {
    const res = await api("GET", "/metrics", { token: admin.token });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    assert.match(String(res.body), /^# TYPE tavern_world_tick_seconds histogram$/m);
    assert.match(String(res.body), /^tavern_process_resident_memory_bytes \d+/m);
    for (const name of ["tavern_http_request_duration_seconds", "tavern_rooms", "tavern_room_clients", "tavern_room_messages_received_total", "tavern_room_messages_sent_total"]) {
      assert.match(String(res.body), new RegExp(`^# TYPE ${name} `, "m"), name);
    }
  });

  it("times every chat turn the engine plays, by kind", async () => {
    const user = await newUser("turnclock");
    const character = await api("POST", "/api/v1/characters", { token: user.token, body: { name: "Mara" } });
    assert.equal(character.status, 201, JSON.stringify(character.body));
    const room = (await api("POST", "/api/v1/chat/start", { token: user.token, body: { character_id: character.body.id } })).body.room_id;
    const before = await scrape(admin.token);
    for (const content of ["Hello.", "And again."]) {
      const turn = await api("POST", "/api/v1/chat/message", { token: user.token, body: { room_id: room, character_id: character.body.id, content } });
      assert.equal(turn.status, 200, JSON.stringify(turn.body));
    }
    const after = await scrape(admin.token);
    const count = (samples: Sample[]) => valueOf(samples, "tavern_chat_turn_seconds_count", { kind: "character" });
    assert.equal(count(after) - count(before), 2);
    assert.ok(valueOf(after, "tavern_chat_turn_seconds_sum", { kind: "character" }) > valueOf(before, "tavern_chat_turn_seconds_sum", { kind: "character" }));
  });

  describe("the HTTP request histogram", () => {
    it("counts requests made since the last scrape by method, route template and status", async () => {
      const before = await scrape(admin.token);
      for (let i = 0; i < 3; i++) assert.equal((await api("GET", "/api/v1/cms/home")).status, 200);
      assert.equal((await api("GET", "/api/v1/cms/nothing-here")).status, 404);
      assert.equal((await api("PUT", "/api/v1/cms/home", { body: { config: {} }, headers: { "if-match": "0" } })).status, 401);
      const after = await scrape(admin.token);

      const delta = (labels: Record<string, string>) => valueOf(after, HTTP_COUNT, labels) - valueOf(before, HTTP_COUNT, labels);
      assert.equal(delta({ method: "GET", route: "/api/v1/cms/:key", status: "200" }), 3);
      assert.equal(delta({ method: "GET", route: "/api/v1/cms/:key", status: "404" }), 1);
      assert.equal(delta({ method: "PUT", route: "/api/v1/cms/:key", status: "401" }), 1);
      assert.equal(delta({ method: "GET", route: "/metrics", status: "200" }), 1, "the first scrape itself");
      const buckets = series(after, "tavern_http_request_duration_seconds_bucket", { method: "GET", route: "/api/v1/cms/:key", status: "200", le: "+Inf" });
      assert.equal(buckets.length, 1);
    });

    it("URLs no route took are one template, not one series per URL", async () => {
      const before = await scrape(admin.token);
      for (const url of ["/no/such/page", "/api/v1/no-such-resource/123", "/api/v1/cms"]) assert.equal((await api("GET", url)).status, 404);
      const after = await scrape(admin.token);
      assert.equal(valueOf(after, HTTP_COUNT, { route: "unmatched", status: "404" }) - valueOf(before, HTTP_COUNT, { route: "unmatched", status: "404" }), 3);
      assert.deepEqual(series(after, HTTP_COUNT).filter((s) => /no-such|no\/such/.test(s.labels.route!)), []);
    });
  });

  describe("rooms", () => {
    const inbox = async (user: TestUser) => {
      const room = await sdk(user.token).joinOrCreate("inbox");
      const messages: string[] = [];
      room.onMessage("*", (type: string | number) => messages.push(String(type)));
      return { room, messages };
    };
    const rooms = (s: Sample[], type: string) => valueOf(s, "tavern_rooms", { room_type: type });
    const clients = (s: Sample[], type: string) => valueOf(s, "tavern_room_clients", { room_type: type });

    it("rooms and clients per room type follow joins, and drop back when the room is disposed", async () => {
      const user = await newUser("gauge");
      const before = await scrape(admin.token);
      const first = await inbox(user);
      const second = await inbox(user);
      const during = await scrape(admin.token);
      assert.equal(rooms(during, "inbox") - rooms(before, "inbox"), 1, "both devices share the user's one inbox");
      assert.equal(clients(during, "inbox") - clients(before, "inbox"), 2);
      await first.room.leave();
      await second.room.leave();
      await eventually(async () => {
        const after = await scrape(admin.token);
        return rooms(after, "inbox") === rooms(before, "inbox") && clients(after, "inbox") === clients(before, "inbox");
      }, "the inbox gauges back where they were");
      const after = await scrape(admin.token);
      assert.equal(series(after, "tavern_rooms", { room_type: "dm_channel" }).length, 1, "a room type without rooms still reads 0");
    });

    it("counts messages in and out per room type and message type", async () => {
      const [alice, bob] = [await newUser("min"), await newUser("mout")];
      const aliceInbox = await inbox(alice);
      const bobInbox = await inbox(bob);
      try {
        const before = await scrape(admin.token);
        aliceInbox.room.send("dm", { recipient_id: bob.id, content: "counted" });
        aliceInbox.room.send("shout", { text: "nobody handles this" });
        await eventually(() => bobInbox.messages.includes("message") && aliceInbox.messages.includes("message") && aliceInbox.messages.includes("error"), "the deliveries");
        const after = await scrape(admin.token);
        const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
        assert.equal(delta("tavern_room_messages_received_total", { room_type: "inbox", type: "dm" }), 1);
        assert.equal(delta("tavern_room_messages_received_total", { room_type: "inbox", type: "unknown" }), 1);
        assert.equal(delta("tavern_room_messages_sent_total", { room_type: "inbox", type: "message" }), 2, "the recipient's delivery and the sender's echo");
        assert.equal(delta("tavern_room_messages_sent_total", { room_type: "inbox", type: "error" }), 1);
        assert.deepEqual(series(after, "tavern_room_messages_received_total").filter((s) => s.labels.type === "shout"), [], "client-chosen types are not labels");
      } finally {
        await aliceInbox.room.leave();
        await bobInbox.room.leave();
      }
    });

    it("a world zone's player gauge goes with its room instead of keeping its last value", async () => {
      const user = await newUser("wgauge");
      const character = await api("POST", "/api/v1/characters", { token: user.token, body: { name: "Gauge Walker" } });
      assert.equal(character.status, 201);
      const zone = character.body.zone_id as string;
      const room: Room = await sdk(user.token).joinOrCreate("world_zone", { character_id: character.body.id });
      const players = (s: Sample[]) => series(s, "tavern_world_players", { zone_id: zone });
      await eventually(async () => players(await scrape(admin.token))[0]?.value === 1, "the zone's player gauge at 1");
      await room.leave();
      await eventually(async () => {
        const after = await scrape(admin.token);
        return players(after).length === 0 && rooms(after, "world_zone") === 0;
      }, "the zone's series gone and no world room left");
    });
  });
});
