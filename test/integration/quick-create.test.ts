import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { EventBus, type DomainEvent } from "../../infra/events";
import { api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";

const FIELDS = {
  image_url: "https://img.example.test/ivy.png",
  audience_slug: "general",
  style_slug: "romance",
  name: "Ivy",
  one_line_intro: "A florist who secretly reads minds.",
};

const quick = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/characters/quick-create-30s", { token: user.token, body });
const mine = async (user: TestUser) => (await api("GET", "/api/v1/characters", { token: user.token })).body.items as { id: string; name: string }[];

describe("POST /characters/quick-create-30s", () => {
  it("creates a full public character: generated greeting, start sets, exactly two endings, the five fields, the user's and generated tags", async () => {
    const user = await newUser("qc");
    const res = await quick(user, { ...FIELDS, tags: ["Flowers"] });
    assert.equal(res.status, 201);
    const c = res.body;
    assert.equal(c.owner_id, user.id);
    assert.equal(c.name, "Ivy");
    assert.equal(c.is_public, true);
    assert.equal(c.image_url, FIELDS.image_url);
    assert.equal(c.audience_slug, "general");
    assert.equal(c.style_slug, "romance");
    assert.equal(c.one_line_intro, FIELDS.one_line_intro);
    assert.match(c.greeting, /Ivy/);
    assert.ok(c.description.length > 0);
    assert.ok(c.start_sets.length >= 1);
    for (const s of c.start_sets) assert.ok(s.id && s.title && s.first_line);
    assert.equal(c.endings.length, 2);
    for (const e of c.endings) assert.ok(e.id && e.title && e.condition && e.content);
    assert.equal(c.tags[0], "flowers");
    assert.ok(c.tags.includes("romance"), c.tags.join(","));
    assert.deepEqual(c.position, { x: 0, y: 0 });
    const read = await api("GET", `/api/v1/characters/${c.id}`, { token: (await newUser("qc")).token });
    assert.equal(read.status, 200, "public: a stranger reads it");
  });

  it("each of the five fields is required, and bad values are 400 naming each field", async () => {
    const user = await newUser("qc");
    const missing = await quick(user, {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors.map((e: { field: string }) => e.field).sort(), ["audience_slug", "image_url", "name", "one_line_intro", "style_slug"]);
    const bad = await quick(user, { ...FIELDS, image_url: "javascript:alert(1)", style_slug: "Not A Slug!", request_id: "x".repeat(65), is_public: false });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field).sort(), ["image_url", "is_public", "request_id", "style_slug"]);
    assert.deepEqual(await mine(user), []);
  });

  it("a repeated request_id answers 200 with the same character, and creates nothing more", async () => {
    const user = await newUser("qc");
    const first = await quick(user, { ...FIELDS, request_id: "req-1" });
    assert.equal(first.status, 201);
    const again = await quick(user, { ...FIELDS, name: "Changed mind", request_id: "req-1" });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.name, "Ivy");
    assert.equal((await mine(user)).length, 1);
  });

  it("10 parallel requests with one request_id create exactly one character; the others get it (200) or 409 request_in_progress", async () => {
    const user = await newUser("qc");
    const results = await Promise.all(Array.from({ length: 10 }, () => quick(user, { ...FIELDS, request_id: "burst" })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(","));
    assert.ok(statuses.every((s) => [200, 201, 409].includes(s)), statuses.join(","));
    for (const r of results.filter((r) => r.status === 409)) assert.equal(r.body.code, "request_in_progress");
    const created = results.find((r) => r.status === 201)!.body.id;
    for (const r of results.filter((r) => r.status === 200)) assert.equal(r.body.id, created);
    assert.deepEqual((await mine(user)).map((c) => c.id), [created]);
  });

  it("a request_id is the user's own: another user with the same one gets a character of their own; without one every call creates", async () => {
    const [a, b] = await Promise.all([newUser("qc"), newUser("qc")]);
    const ra = await quick(a, { ...FIELDS, request_id: "shared" });
    const rb = await quick(b, { ...FIELDS, request_id: "shared" });
    assert.equal(ra.status, 201);
    assert.equal(rb.status, 201);
    assert.notEqual(ra.body.id, rb.body.id);
    await quick(a, FIELDS);
    await quick(a, FIELDS);
    assert.equal((await mine(a)).length, 3);
  });

  it("invalidates the caller's cached list and publishes character.created", async () => {
    const user = await newUser("qc");
    await api("GET", "/api/v1/characters", { token: user.token });
    const bus = new EventBus(matchMaker.presence);
    const seen: DomainEvent<{ owner_id: string; name: string }>[] = [];
    const undo = await bus.subscribe<{ owner_id: string; name: string }>("character.created", (e) => seen.push(e));
    try {
      const res = await quick(user, FIELDS);
      const list = await api("GET", "/api/v1/characters", { token: user.token });
      assert.equal(list.headers.get("x-cache"), "miss");
      assert.deepEqual(list.body.items.map((c: { id: string }) => c.id), [res.body.id]);
      await eventually(() => seen.some((e) => e.data.owner_id === user.id), "character.created");
    } finally {
      undo();
    }
  });
});
