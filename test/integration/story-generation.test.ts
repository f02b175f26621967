import assert from "node:assert/strict";
import { api, newUser } from "../support/api";
import { eventually } from "../support/eventually";
import { sdk } from "../support/server";
import { generate, openSse } from "../support/sse";

const job = (id: string, token: string) => api("GET", `/api/v1/stories/generate/jobs/${id}`, { token });

describe("Story generation (server-sent events, built-in generator)", () => {
  it("streams job, status, deltas and done last; the text is the deltas; the job completes and the story is saved private", async () => {
    const user = await newUser("gen");
    const { stream, events } = await generate({ prompt: "Write a story about a lighthouse that walks at night", genre: "fantasy", length: "short" }, user.token);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type")!, /^text\/event-stream/);
    assert.match(stream.headers.get("cache-control")!, /no-cache/);
    assert.equal(stream.headers.get("x-accel-buffering"), "no");
    assert.ok(stream.headers.get("x-content-type-options"), "security headers are kept");
    assert.ok(stream.retry.length === 1 && stream.retry[0]! > 0, "a retry interval is sent");

    const names = events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 2), ["job", "status"]);
    assert.equal(names.at(-1), "done");
    assert.ok(names.slice(2, -1).every((n) => n === "delta") && names.length > 20, names.join(","));
    const [first, second] = events;
    assert.equal(first!.data.status, "queued");
    assert.deepEqual(second!.data, { status: "generating" });
    const done = events.at(-1)!.data;
    assert.equal(done.job_id, first!.data.job_id);
    const text = events.filter((e) => e.event === "delta").map((e) => e.data.text).join("");
    assert.equal(done.text, text);
    assert.match(text, /a lighthouse that walks at night/);
    assert.deepEqual(new Set(events.map((e) => e.id)).size, events.length, "every event has its own id");

    const row = await job(done.job_id, user.token);
    assert.equal(row.status, 200);
    assert.equal(row.body.status, "completed");
    assert.equal(row.body.story_id, done.story_id);
    assert.equal(row.body.prompt, "Write a story about a lighthouse that walks at night");
    assert.equal(row.body.length, "short");
    assert.equal(row.body.error, null);

    const saved = await api("GET", `/api/v1/stories/${done.story_id}`, { token: user.token });
    assert.equal(saved.status, 200);
    assert.equal(saved.body.content, text);
    assert.equal(saved.body.is_public, false);
    assert.equal(saved.body.genre, "fantasy");
    assert.ok(saved.body.title.length > 0);
  });

  it("the same prompt streams the same story (the built-in generator is deterministic)", async () => {
    const user = await newUser("gen");
    const body = { prompt: "a baker who can taste lies", length: "short" };
    const [a, b] = await Promise.all([generate(body, user.token), generate(body, user.token)]);
    assert.equal(a.events.at(-1)!.data.text, b.events.at(-1)!.data.text);
    assert.notEqual(a.events.at(-1)!.data.story_id, b.events.at(-1)!.data.story_id);
  });

  it("bad input is a 400 problem document, not a stream", async () => {
    const user = await newUser("gen");
    for (const body of [{}, { prompt: "" }, { prompt: "x", length: "epic" }, { prompt: "x", model: "gpt-9" }, { prompt: "a\u0000b" }]) {
      const { stream } = await generate(body, user.token);
      assert.equal(stream.status, 400, JSON.stringify(body));
      assert.equal(stream.problem.code, "validation_failed");
    }
    const anonymous = await openSse("/api/v1/stories/generate/stream", { body: { prompt: "x" } });
    assert.equal(anonymous.status, 401);
  });

  it("a generation job is its owner's: a stranger gets 403, an unknown or malformed id 404", async () => {
    const [owner, stranger] = await Promise.all([newUser("gen"), newUser("gen")]);
    const { events } = await generate({ prompt: "a river", length: "short" }, owner.token);
    const id = events[0]!.data.job_id;
    assert.equal((await job(id, stranger.token)).status, 403);
    assert.equal((await job("00000000-0000-4000-8000-000000000000", owner.token)).status, 404);
    assert.equal((await job("nope", owner.token)).status, 404);
    assert.equal((await api("GET", `/api/v1/stories/generate/jobs/${id}`)).status, 401);
  });

  it("/openapi.json documents the stream as text/event-stream, with its request body", async () => {
    const doc = (await api("GET", "/openapi.json")).body;
    const op = doc.paths["/api/v1/stories/generate/stream"].post;
    assert.ok(op.responses["200"].content["text/event-stream"]);
    assert.ok(op.requestBody.content["application/json"]);
    assert.equal(op.responses["400"].content["application/problem+json"] !== undefined, true);
  });

  it("the owner's inbox hears the job move queued → generating → completed", async () => {
    const user = await newUser("gen");
    const inbox = await sdk(user.token).joinOrCreate("inbox", {});
    const seen: any[] = [];
    inbox.onMessage("notification", (n) => seen.push(n));
    try {
      const { events } = await generate({ prompt: "a harbour", length: "short" }, user.token);
      const jobId = events[0]!.data.job_id;
      const mine = () => seen.filter((n) => n.kind === "job_updated" && n.data.job_id === jobId);
      await eventually(() => mine().length === 3, "three job updates");
      assert.deepEqual(mine().map((n) => n.data.status), ["queued", "generating", "completed"]);
      assert.equal(mine()[2].data.kind, "story_generation");
      assert.equal(mine()[2].data.story_id, events.at(-1)!.data.story_id);
    } finally {
      await inbox.leave();
    }
  });
});
