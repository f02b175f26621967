import assert from "node:assert/strict";
import { api, uniqueName } from "../support/api";
import { eventually } from "../support/eventually";
import { defaultBehaviour, defaultStory, gate, startFakeLlm, type FakeLlm } from "../support/fake-llm";
import { startServerProcess, type ServerProcess } from "../support/process";
import { server } from "../support/server";
import { generate, openSse, readAll } from "../support/sse";

/**
 * The product run with GENERATOR=openai against a local server speaking the
 * chat-completions protocol, which each test scripts: what a failing, slow or
 * rate-limiting provider, or a client that leaves, does to streams, jobs and stores.
 */

async function userOn(base: string) {
  const username = uniqueName("llm");
  const password = "correct-horse-1";
  const reg = await api("POST", "/api/v1/auth/register", { base, body: { username, email: `${username}@example.test`, password } });
  assert.equal(reg.status, 201);
  const login = await api("POST", "/api/v1/auth/login", { base, body: { username, password } });
  return { id: reg.body.id as string, token: login.body.access_token as string };
}

const QUICK = { image_url: "https://img.example.test/a.png", audience_slug: "general", style_slug: "casual", name: "Ivy", one_line_intro: "A florist." };

describe("the OpenAI-compatible provider in the running product", function () {
  this.timeout(120_000);
  let fake: FakeLlm;
  let proc: ServerProcess;
  let base: string;

  before(async function () {
    fake = await startFakeLlm();
    proc = await startServerProcess({
      ...server().backend.env,
      GENERATOR: "openai",
      LLM_BASE_URL: fake.baseURL,
      LLM_MODEL: "fake-model",
      LLM_TIMEOUT_SECONDS: "2",
    });
    base = proc.url;
  });
  beforeEach(() => {
    fake.calls.length = 0;
    fake.handle = defaultBehaviour;
  });
  after(async () => {
    await proc?.stop("SIGKILL");
    await fake?.close();
  });

  const jobOn = (id: string, token: string) => api("GET", `/api/v1/stories/generate/jobs/${id}`, { base, token });
  const storiesOf = async (token: string) => (await api("GET", "/api/v1/stories?scope=mine", { base, token })).body.total as number;

  describe("story generation", () => {
    it("streams the provider's deltas in order and completes the job", async () => {
      const user = await userOn(base);
      const { events } = await generate({ prompt: "a lamplighter", length: "short" }, user.token, base);
      assert.deepEqual(events.map((e) => e.event), ["job", "status", ...defaultStory.map(() => "delta"), "done"]);
      assert.deepEqual(events.filter((e) => e.event === "delta").map((e) => e.data.text), defaultStory);
      assert.equal(events.at(-1)!.data.text, defaultStory.join(""));
      assert.equal(fake.calls[0]!.body.model, "fake-model");
      assert.equal((await jobOn(events[0]!.data.job_id, user.token)).body.status, "completed");
    });

    it("a failure mid-stream ends the stream with error after the deltas so far, fails the job, and saves no story", async () => {
      const user = await userOn(base);
      for (const failure of ["error-event", "disconnect"] as const) {
        fake.handle = () => ({ kind: "stream", chunks: defaultStory, failAfter: 3, failure });
        const { stream, events } = await generate({ prompt: "doomed" }, user.token, base);
        assert.equal(stream.status, 200);
        assert.deepEqual(events.map((e) => e.event), ["job", "status", "delta", "delta", "delta", "error"], failure);
        assert.equal(events.at(-1)!.data.code, "generator_failed");
        assert.ok(events.at(-1)!.data.message.length > 0);
        const job = await jobOn(events[0]!.data.job_id, user.token);
        assert.equal(job.body.status, "failed");
        assert.equal(job.body.error.code, "generator_failed");
        assert.equal(job.body.story_id, null);
      }
      assert.equal(await storiesOf(user.token), 0);
    });

    it("a 429 from the provider ends the stream with error generator_rate_limited; a slow one with generator_timeout", async () => {
      const user = await userOn(base);
      fake.handle = () => ({ kind: "status", status: 429, headers: { "retry-after": "30" } });
      const limited = await generate({ prompt: "busy" }, user.token, base);
      assert.deepEqual(limited.events.map((e) => e.event), ["job", "status", "error"]);
      assert.equal(limited.events.at(-1)!.data.code, "generator_rate_limited");
      assert.equal((await jobOn(limited.events[0]!.data.job_id, user.token)).body.status, "failed");

      fake.handle = () => ({ kind: "stream", chunks: defaultStory, delayMs: 500 });
      const slow = await generate({ prompt: "slow" }, user.token, base);
      assert.equal(slow.events.at(-1)!.event, "error");
      assert.equal(slow.events.at(-1)!.data.code, "generator_timeout");
      assert.equal((await jobOn(slow.events[0]!.data.job_id, user.token)).body.error.code, "generator_timeout");
    });

    it("a client that disconnects mid-stream aborts the upstream request and finds the job cancelled, with no story saved", async () => {
      const user = await userOn(base);
      const held = gate();
      fake.handle = () => ({ kind: "stream", chunks: defaultStory, holdAt: 2, gate: held.promise });
      const stream = await openSse("/api/v1/stories/generate/stream", { base, token: user.token, body: { prompt: "leave early" } });
      let jobId = "";
      let deltas = 0;
      for await (const e of stream.events) {
        if (e.event === "job") jobId = e.data.job_id;
        if (e.event === "delta" && ++deltas === 2) break;
      }
      stream.abort();
      const upstream = fake.calls[0]!;
      await upstream.closed;
      assert.equal(upstream.aborted, true, "the provider saw the request abandoned");
      await eventually(async () => (await jobOn(jobId, user.token)).body.status === "cancelled", "job cancelled");
      held.open();
      assert.equal(await storiesOf(user.token), 0);
    });
  });

  describe("character extraction", () => {
    async function storyOn(token: string) {
      const res = await api("POST", "/api/v1/stories", { base, token, body: { title: "T", content: "Mara Vell lit the lamps. Mara slept. Tobin Quill waited." } });
      return res.body.id as string;
    }

    it("cancelling mid-run aborts the provider call, marks the job cancelled, and leaves no partial results (the previous extraction stays)", async () => {
      const user = await userOn(base);
      const id = await storyOn(user.token);
      const path = `/api/v1/stories/${id}/extracted-characters`;
      assert.deepEqual((await api("POST", `${path}/rebuild`, { base, token: user.token })).body.items.map((c: { name: string }) => c.name), ["Mara Vell"]);
      fake.calls.length = 0;

      const held = gate();
      fake.handle = () => ({ kind: "json", content: JSON.stringify({ characters: [{ name: "Tobin Quill", description: "Waits." }] }), gate: held.promise });
      const started = await api("POST", `${path}/rebuild-async`, { base, token: user.token });
      assert.equal(started.status, 202);
      const jobPath = `${path}/jobs/${started.body.job_id}`;
      const poll = await api("GET", jobPath, { base, token: user.token });
      assert.deepEqual(poll.body, { job_id: started.body.job_id, status: "in_progress" });
      await eventually(() => fake.calls.length === 1, "the provider is asked");

      const cancel = await api("POST", `${jobPath}/cancel`, { base, token: user.token });
      assert.equal(cancel.status, 200);
      assert.deepEqual(cancel.body, { status: "cancelled" });
      await fake.calls[0]!.closed;
      assert.equal(fake.calls[0]!.aborted, true, "the provider call was abandoned");
      held.open();
      assert.equal((await api("GET", jobPath, { base, token: user.token })).body.status, "cancelled");
      const list = await api("GET", path, { base, token: user.token });
      assert.deepEqual(list.body.items.map((c: { name: string }) => c.name), ["Mara Vell"]);
      const again = await api("POST", `${jobPath}/cancel`, { base, token: user.token });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, "job_finished");
    });

    it("a provider failure fails the async job with a message, and the synchronous rebuild with a problem document", async () => {
      const user = await userOn(base);
      const id = await storyOn(user.token);
      const path = `/api/v1/stories/${id}/extracted-characters`;
      fake.handle = () => ({ kind: "status", status: 500 });
      const started = await api("POST", `${path}/rebuild-async`, { base, token: user.token });
      const job = await eventually(async () => {
        const res = await api("GET", `${path}/jobs/${started.body.job_id}`, { base, token: user.token });
        return res.body.status !== "in_progress" && res.body;
      }, "the job ends");
      assert.equal(job.status, "failed");
      assert.match(job.error, /text generator failed/);
      const sync = await api("POST", `${path}/rebuild`, { base, token: user.token });
      assert.equal(sync.status, 502);
      assert.equal(sync.body.code, "generator_failed");
      fake.handle = () => ({ kind: "json", content: "{}", delayMs: 2500 });
      const slow = await api("POST", `${path}/rebuild`, { base, token: user.token });
      assert.equal(slow.status, 504);
      assert.equal(slow.body.code, "generator_timeout");
    });
  });

  describe("quick create", () => {
    const quickOn = (token: string, body: Record<string, unknown>) => api("POST", "/api/v1/characters/quick-create-30s", { base, token, body });
    const countOn = async (token: string) => (await api("GET", "/api/v1/characters", { base, token })).body.total as number;

    it("a generation failure, or content that breaks the rules, stores nothing", async () => {
      const user = await userOn(base);
      fake.handle = () => ({ kind: "status", status: 500 });
      const failed = await quickOn(user.token, { ...QUICK, request_id: "f1" });
      assert.equal(failed.status, 502);
      assert.equal(failed.body.code, "generator_failed");
      fake.handle = () => ({
        kind: "json",
        content: JSON.stringify({ description: "d", greeting: "g", start_sets: [{ title: "t", intro: "i", first_line: "f" }], endings: [{ title: "only", condition: "c", content: "x" }], tags: [] }),
      });
      const oneEnding = await quickOn(user.token, { ...QUICK, request_id: "f1" });
      assert.equal(oneEnding.status, 502);
      fake.handle = () => ({ kind: "status", status: 429, headers: { "retry-after": "12" } });
      const limited = await quickOn(user.token, QUICK);
      assert.equal(limited.status, 503);
      assert.equal(limited.body.code, "generator_rate_limited");
      assert.equal(limited.headers.get("retry-after"), "12");
      assert.equal(await countOn(user.token), 0);
      fake.handle = defaultBehaviour;
      assert.equal((await quickOn(user.token, { ...QUICK, request_id: "f1" })).status, 201, "the request_id is free again after a failure");
    });

    it("a duplicate sent while the first is still generating gets 409 request_in_progress; once done, a repeat gets the same character", async () => {
      const user = await userOn(base);
      const held = gate();
      fake.handle = (call) => ({ ...(defaultBehaviour(call) as { kind: "json"; content: string }), gate: held.promise });
      const first = quickOn(user.token, { ...QUICK, request_id: "slow-1" });
      await eventually(() => fake.calls.length === 1, "the first is generating");
      const duplicate = await quickOn(user.token, { ...QUICK, request_id: "slow-1" });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.code, "request_in_progress");
      held.open();
      const created = await first;
      assert.equal(created.status, 201);
      const repeat = await quickOn(user.token, { ...QUICK, request_id: "slow-1" });
      assert.equal(repeat.status, 200);
      assert.equal(repeat.body.id, created.body.id);
      assert.equal(await countOn(user.token), 1);
      assert.equal(fake.calls.length, 1, "the duplicate never reached the provider");
    });
  });
});

describe("the built-in generator at a visible pace", function () {
  this.timeout(120_000);
  let proc: ServerProcess;

  before(async () => {
    proc = await startServerProcess({ ...server().backend.env, GENERATOR_PACE_MS: "5" });
  });
  after(() => proc?.stop("SIGKILL"));

  it("a client that disconnects mid-stream finds the job cancelled and no story saved", async () => {
    const user = await userOn(proc.url);
    const stream = await openSse("/api/v1/stories/generate/stream", { base: proc.url, token: user.token, body: { prompt: "a long walk", length: "long" } });
    let jobId = "";
    let deltas = 0;
    for await (const e of stream.events) {
      if (e.event === "job") jobId = e.data.job_id;
      if (e.event === "delta" && ++deltas === 3) break;
    }
    stream.abort();
    await eventually(async () => (await api("GET", `/api/v1/stories/generate/jobs/${jobId}`, { base: proc.url, token: user.token })).body.status === "cancelled", "job cancelled");
    assert.equal((await api("GET", "/api/v1/stories?scope=mine", { base: proc.url, token: user.token })).body.total, 0);
  });

  it("streams a whole story a word at a time, done last", async () => {
    const user = await userOn(proc.url);
    const stream = await openSse("/api/v1/stories/generate/stream", { base: proc.url, token: user.token, body: { prompt: "a short walk", length: "short" } });
    const events = await readAll(stream);
    assert.equal(events.at(-1)!.event, "done");
    assert.ok(events.filter((e) => e.event === "delta").length > 20);
  });
});
