import assert from "node:assert/strict";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, connect, eventually, hostOf, newPlayer, startNode } from "../support/cluster";
import { defaultBehaviour, gate, startFakeLlm, type Behaviour, type FakeLlm } from "../support/fake-llm";
import type { ServerProcess } from "../support/process";

const QUICK = { image_url: "https://img.example.test/a.png", audience_slug: "general", style_slug: "casual", name: "Ivy", one_line_intro: "A florist." };

/**
 * Generation work across processes: two server processes on one Postgres and Redis, both
 * generating through a local chat-completions server the test scripts, so that a
 * generation can be held while a duplicate, a cancel or a poll arrives on the other
 * process.
 */
describe("quick create and story jobs across processes", function () {
  let backend: Backend;
  let fake: FakeLlm;
  let a: ServerProcess;
  let b: ServerProcess;

  before(async function () {
    backend = await clusterBackend();
    fake = await startFakeLlm();
    const llm = { GENERATOR: "openai", LLM_BASE_URL: fake.baseURL, LLM_MODEL: "fake-model" };
    [a, b] = await Promise.all([startNode(backend, llm), startNode(backend, llm)]);
  });
  beforeEach(() => {
    fake.calls.length = 0;
    fake.handle = defaultBehaviour;
  });
  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await fake?.close();
    await backend?.dispose();
  });

  const quick = (server: ServerProcess, token: string, requestId: string) =>
    api("POST", "/api/v1/characters/quick-create-30s", { base: server.url, token, body: { ...QUICK, request_id: requestId } });
  const named = async (server: ServerProcess, token: string) =>
    ((await api("GET", "/api/v1/characters", { base: server.url, token })).body.items as { id: string; name: string }[]).filter((c) => c.name === "Ivy");

  it("the same request_id sent to both processes at once creates one character", async () => {
    const user = await newPlayer(a.url, clusterName("qcx"));
    // A little generation time, so that the requests overlap.
    fake.handle = (call): Behaviour => ({ ...(defaultBehaviour(call) as { kind: "json"; content: string }), delayMs: 150 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => quick(i % 2 ? b : a, user.token, "cross-1")));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(","));
    assert.ok(statuses.every((s) => [200, 201, 409].includes(s)), statuses.join(","));
    const created = results.find((r) => r.status === 201)!.body.id;
    for (const server of [a, b]) assert.deepEqual((await named(server, user.token)).map((c) => c.id), [created]);
  });

  it("a duplicate arriving on the other process while the first generates gets 409 request_in_progress, then the same character", async () => {
    const user = await newPlayer(a.url, clusterName("qcy"));
    const held = gate();
    fake.handle = (call): Behaviour => ({ ...(defaultBehaviour(call) as { kind: "json"; content: string }), gate: held.promise });
    const first = quick(a, user.token, "cross-2");
    await eventually(() => fake.calls.length === 1, "the first request is generating on A");
    const duplicate = await quick(b, user.token, "cross-2");
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.code, "request_in_progress");
    held.open();
    const created = await first;
    assert.equal(created.status, 201);
    const repeat = await quick(b, user.token, "cross-2");
    assert.equal(repeat.status, 200);
    assert.equal(repeat.body.id, created.body.id);
    assert.equal(fake.calls.length, 1);
    assert.equal((await named(b, user.token)).length, 1);
  });

  it("an extraction running on one process is cancelled through the other: the provider call is abandoned, and the job's moves reach the inbox wherever it lives", async () => {
    const user = await newPlayer(a.url, clusterName("exx"));
    const inbox = await connect(b, user.token).joinOrCreate("inbox", {});
    const updates: { status: string; job_id: string }[] = [];
    inbox.onMessage("notification", (n: { kind: string; data: { status: string; job_id: string } }) => {
      if (n.kind === "job_updated") updates.push(n.data);
    });
    try {
      const runner = hostOf(inbox, [a, b]) === a ? b : a;
      const other = runner === a ? b : a;
      const story = await api("POST", "/api/v1/stories", { base: runner.url, token: user.token, body: { title: "T", content: "Mara Vell lit the lamps. Mara slept." } });
      const held = gate();
      fake.handle = (call): Behaviour => ({ ...(defaultBehaviour(call) as { kind: "json"; content: string }), gate: held.promise });
      const path = `/api/v1/stories/${story.body.id}/extracted-characters`;
      const started = await api("POST", `${path}/rebuild-async`, { base: runner.url, token: user.token });
      assert.equal(started.status, 202);
      const jobPath = `${path}/jobs/${started.body.job_id}`;
      assert.equal((await api("GET", jobPath, { base: other.url, token: user.token })).body.status, "in_progress");
      await eventually(() => fake.calls.length === 1, "the extraction asks the provider");

      assert.equal((await api("POST", `${jobPath}/cancel`, { base: other.url, token: user.token })).status, 200);
      await fake.calls[0]!.closed;
      assert.equal(fake.calls[0]!.aborted, true, "the task on the other process stopped its provider call");
      held.open();
      assert.equal((await api("GET", jobPath, { base: runner.url, token: user.token })).body.status, "cancelled");
      assert.equal((await api("GET", path, { base: runner.url, token: user.token })).body.total, 0);
      await eventually(() => updates.filter((u) => u.job_id === started.body.job_id).length === 2, "in_progress and cancelled in the inbox");
      assert.deepEqual(updates.filter((u) => u.job_id === started.body.job_id).map((u) => u.status), ["in_progress", "cancelled"]);
    } finally {
      await inbox.leave();
    }
  });
});
