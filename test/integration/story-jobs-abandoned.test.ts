import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { api, uniqueName } from "../support/api";
import { realBackendOnly } from "../support/backend";
import { eventually } from "../support/eventually";
import { defaultBehaviour, gate, startFakeLlm, type Behaviour } from "../support/fake-llm";
import { startServerProcess, type ServerProcess } from "../support/process";
import { server } from "../support/server";
import { openSse, type SseEvent } from "../support/sse";

/**
 * A generation runs in the process that started it. These tests kill that process
 * mid-stream and check that another process ends the job, so that its owner does not
 * poll "generating" forever, and that a job still streaming is never taken for dead.
 * The processes share the suite's database: Postgres when the suite runs on it, else an
 * embedded database on disk that the second process opens after the first one died.
 */
describe("story jobs whose server died", function () {
  this.timeout(120_000);

  let dataDir: string | undefined;
  const running: ServerProcess[] = [];

  const sharedDatabase = (): Record<string, string> => {
    const env = server().backend.env;
    if (!env.DATABASE_URL?.startsWith("pglite")) return env;
    dataDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "tavern-abandoned-"));
    return { DATABASE_URL: "", DATA_DIR: dataDir };
  };

  const start = async (env: Record<string, string>) => {
    const proc = await startServerProcess({ ...sharedDatabase(), STORY_JOB_ABANDON_SECONDS: "3", ...env });
    running.push(proc);
    return proc;
  };

  afterEach(async () => {
    for (const proc of running.splice(0)) if (proc.child.exitCode === null) await proc.stop("SIGKILL");
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  const signUp = async (base: string) => {
    const username = uniqueName("abandon");
    const password = "correct-horse-1";
    await api("POST", "/api/v1/auth/register", { base, body: { username, email: `${username}@example.test`, password } });
    const login = await api("POST", "/api/v1/auth/login", { base, body: { username, password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    return login.body.access_token as string;
  };

  /** Opens a generation and reads it until it is generating; answers the job id and the events still to come. */
  const generating = async (base: string, token: string) => {
    const stream = await openSse("/api/v1/stories/generate/stream", { base, token, body: { prompt: "a lantern that remembers every traveller", length: "short" } });
    assert.equal(stream.status, 200, JSON.stringify(stream.problem));
    // Read by hand: leaving a for-await loop would close the stream.
    const events = stream.events[Symbol.asyncIterator]();
    let jobId = "";
    for (let next = await events.next(); !next.done; next = await events.next()) {
      if (next.value.event === "job") jobId = next.value.data.job_id as string;
      if (next.value.event === "status") break;
    }
    assert.ok(jobId, "the stream named its job");
    const rest = async (): Promise<SseEvent[]> => {
      const later: SseEvent[] = [];
      for (let next = await events.next(); !next.done; next = await events.next()) later.push(next.value);
      return later;
    };
    return { jobId, rest };
  };

  it("a generation whose server was killed mid-stream ends failed with error abandoned, once another server sweeps", async () => {
    // Words a second apart: the story is still streaming when the process dies.
    const first = await start({ GENERATOR_PACE_MS: "1000" });
    const token = await signUp(first.url);
    const { jobId } = await generating(first.url, token);
    await first.stop("SIGKILL");

    const second = await start({});
    const job = await eventually(
      async () => {
        const res = await api("GET", `/api/v1/stories/generate/jobs/${jobId}`, { base: second.url, token });
        return res.body.status === "failed" ? res : undefined;
      },
      "the abandoned job is failed",
      30_000,
    );
    assert.equal(job.status, 200);
    assert.equal(job.body.error.code, "abandoned");
    assert.match(job.body.error.message, /stopped before it finished/);
    assert.equal(job.body.story_id, null);
  });

  it("an extraction whose server was killed while the model answered ends error, once another server sweeps", async function () {
    // The same sweep as the generation's above, which covers the embedded restart.
    realBackendOnly(this);
    const fake = await startFakeLlm();
    const held = gate();
    // The model's answer never comes while the first server lives.
    fake.handle = (call): Behaviour => ({ ...(defaultBehaviour(call) as { kind: "json"; content: string }), gate: held.promise });
    try {
      const first = await start({ GENERATOR: "openai", LLM_BASE_URL: fake.baseURL, LLM_MODEL: "fake-model" });
      const token = await signUp(first.url);
      const story = await api("POST", "/api/v1/stories", { base: first.url, token, body: { title: "Lamps", content: "Mara Vell lit the lamps. Mara slept." } });
      assert.equal(story.status, 201, JSON.stringify(story.body));
      const path = `/api/v1/stories/${story.body.id}/extracted-characters`;
      const started = await api("POST", `${path}/rebuild-async`, { base: first.url, token });
      assert.equal(started.status, 202);
      await eventually(() => fake.calls.length > 0, "the extraction asks the model");
      await first.stop("SIGKILL");

      const second = await start({});
      const job = await eventually(
        async () => {
          const res = await api("GET", `${path}/jobs/${started.body.job_id}`, { base: second.url, token });
          return res.body.status === "error" ? res : undefined;
        },
        "the abandoned extraction is error",
        30_000,
      );
      assert.equal(job.status, 200);
      assert.match(job.body.error, /stopped before it finished/);
      assert.equal((await api("GET", path, { base: second.url, token })).body.total, 0, "nothing half-extracted is listed");
    } finally {
      held.open();
      await fake.close();
    }
  });

  it("a generation streaming for longer than the abandon period on a live server completes: its server renews it", async function () {
    // Renewal is the same statement on either database.
    realBackendOnly(this);
    // About 100 words at 60 ms: several abandon periods of 3 s.
    const live = await start({ GENERATOR_PACE_MS: "60" });
    const token = await signUp(live.url);
    const { jobId, rest: remaining } = await generating(live.url, token);
    const rest = await remaining();
    assert.equal(rest.at(-1)?.event, "done", JSON.stringify(rest.at(-1)));
    const job = await api("GET", `/api/v1/stories/generate/jobs/${jobId}`, { base: live.url, token });
    assert.equal(job.body.status, "completed");
    const took = Date.parse(job.body.updated_at) - Date.parse(job.body.created_at);
    assert.ok(took > 3_000, `the generation took ${took} ms, longer than the abandon period`);
  });
});
