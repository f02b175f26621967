import assert from "node:assert/strict";
import { Client, type Room } from "@colyseus/sdk";
import { api, uniqueName } from "../support/api";
import { eventually } from "../support/eventually";
import { startServerProcess, type ServerProcess } from "../support/process";
import { embeddedOnly } from "../support/backend";

/** Per-user budgets for writes that reach other people or the database, over every edge. */
describe("write limits (spawned server: 3 DMs, 2 characters, 2 say lines, 2 chat turns per minute)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(120_000);
  let srv: ServerProcess;

  before(async () => {
    srv = await startServerProcess({
      RATE_LIMIT_DM_PER_MINUTE: "3",
      RATE_LIMIT_CHARACTERS_PER_MINUTE: "2",
      RATE_LIMIT_SAY_PER_MINUTE: "2",
      RATE_LIMIT_CHAT_TURNS_PER_MINUTE: "2",
    });
  });
  after(async () => {
    await srv?.stop();
  });

  async function user() {
    const username = uniqueName("wl");
    const password = "correct-horse-1";
    const reg = await api("POST", "/api/v1/auth/register", { base: srv.url, body: { username, email: `${username}@example.test`, password } });
    const login = await api("POST", "/api/v1/auth/login", { base: srv.url, body: { username, password } });
    return { id: reg.body.id as string, token: login.body.access_token as string };
  }
  const client = (token: string) => {
    const c = new Client(`ws://127.0.0.1:${srv.port}`);
    c.auth.token = token;
    return c;
  };
  const dm = (from: { token: string }, to: { id: string }, content: string) =>
    api("POST", "/api/v1/messages/dm", { base: srv.url, token: from.token, body: { recipient_id: to.id, content } });

  it("direct messages share one budget over REST and the inbox: past it, 429 with Retry-After and an error rate_limited", async () => {
    const [alice, bob, carol] = await Promise.all([user(), user(), user()]);
    const inbox: Room = await client(alice.token).joinOrCreate("inbox", {});
    const errors: any[] = [];
    inbox.onMessage("error", (e) => errors.push(e));
    inbox.onMessage("*", () => undefined);
    try {
      for (const content of ["one", "two"]) assert.equal((await dm(alice, bob, content)).status, 201);
      inbox.send("dm", { recipient_id: bob.id, content: "three" });
      await eventually(async () => (await api("GET", `/api/v1/messages/dm/${bob.id}`, { base: srv.url, token: alice.token })).body.total === 3, "the third DM stored");
      const limited = await dm(alice, bob, "four");
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, "rate_limited");
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      inbox.send("dm", { recipient_id: bob.id, content: "five" });
      await eventually(() => errors.length === 1, "an error message");
      assert.equal(errors[0].code, "rate_limited");
      assert.ok(errors[0].retry_after >= 1);
      assert.ok(inbox.connection.isOpen, "the connection stays open");
      const stored = await api("GET", `/api/v1/messages/dm/${bob.id}`, { base: srv.url, token: alice.token });
      assert.equal(stored.body.total, 3, "nothing past the budget was stored");
      assert.equal((await dm(carol, bob, "carol has her own budget")).status, 201);
    } finally {
      await inbox.leave();
    }
  });

  it("creating characters past the budget is 429 and stores nothing", async () => {
    const owner = await user();
    const create = (name: string) => api("POST", "/api/v1/characters", { base: srv.url, token: owner.token, body: { name } });
    assert.equal((await create("First")).status, 201);
    assert.equal((await create("Second")).status, 201);
    const limited = await create("Third");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "rate_limited");
    const list = await api("GET", "/api/v1/characters", { base: srv.url, token: owner.token });
    assert.equal(list.body.total, 2);
  });

  it("world chat past the budget is answered error rate_limited, nothing is said, and the connection stays open", async () => {
    const speaker = await user();
    const hero = await api("POST", "/api/v1/characters", { base: srv.url, token: speaker.token, body: { name: "Talker" } });
    const zone: Room = await client(speaker.token).joinOrCreate("world_zone", { character_id: hero.body.id });
    const said: string[] = [];
    const errors: any[] = [];
    zone.onMessage("said", (m) => said.push(m.text));
    zone.onMessage("error", (e) => errors.push(e));
    zone.onMessage("*", () => undefined);
    try {
      for (const text of ["hello", "again", "and again"]) zone.send("say", { text });
      await eventually(() => said.length === 2 && errors.length === 1, "two lines said and one refused");
      assert.deepEqual(said, ["hello", "again"]);
      assert.equal(errors[0].code, "rate_limited");
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(said.length, 2);
      assert.ok(zone.connection.isOpen);
    } finally {
      await zone.leave();
    }
  });

  it("chat turns past the budget are 429 and ask the generator for nothing more", async () => {
    const player = await user();
    const hero = await api("POST", "/api/v1/characters", { base: srv.url, token: player.token, body: { name: "Talkative" } });
    const started = await api("POST", "/api/v1/chat/start", { base: srv.url, token: player.token, body: { character_id: hero.body.id } });
    const say = (content: string) =>
      api("POST", "/api/v1/chat/message", { base: srv.url, token: player.token, body: { room_id: started.body.room_id, character_id: hero.body.id, content } });
    assert.equal((await say("one")).status, 200);
    assert.equal((await say("two")).status, 200);
    const limited = await say("three");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "rate_limited");
    const listed = await api("GET", `/api/v1/chat/rooms/${started.body.room_id}/messages`, { base: srv.url, token: player.token });
    assert.ok(!listed.body.items.some((e: { text: string }) => e.text === "three"), "the refused turn stored nothing");
  });
});
