import assert from "node:assert/strict";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, eventually, newPlayer, startNode } from "../support/cluster";
import { defaultBehaviour, gate, startFakeLlm, type Behaviour, type FakeLlm } from "../support/fake-llm";
import type { ServerProcess } from "../support/process";

const QUICK = { image_url: "https://img.example.test/a.png", audience_slug: "general", style_slug: "casual", name: "Ivy", one_line_intro: "A florist." };

/**
 * Quick create's idempotency across processes: two server processes on one Postgres and
 * Redis, both generating through a local chat-completions server the test scripts, so a
 * generation can be held while a duplicate arrives on the other process.
 */
describe("quick create across processes", function () {
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
});
