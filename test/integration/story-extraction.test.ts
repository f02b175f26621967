import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { adminUser, api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { sdk } from "../support/server";

const TEXT =
  "In the harbour town of Saltmere lived Mara Vell, a lamplighter with ink-stained hands. " +
  "Every evening Mara climbed the tower. One night Tobin Quill, a smuggler with a silver tooth, was waiting there. " +
  '"You are late," Tobin said. Mara laughed and lit the lamp, and Tobin watched the sea.';

async function story(owner: TestUser, content = TEXT, isPublic = false) {
  const res = await api("POST", "/api/v1/stories", { token: owner.token, body: { title: "Saltmere", content, is_public: isPublic } });
  assert.equal(res.status, 201);
  return res.body.id as string;
}

const base = (id: string) => `/api/v1/stories/${id}/extracted-characters`;
const rebuild = (id: string, token: string) => api("POST", `${base(id)}/rebuild`, { token });
const rebuildAsync = (id: string, token: string) => api("POST", `${base(id)}/rebuild-async`, { token });
const jobOf = (id: string, jobId: string, token: string) => api("GET", `${base(id)}/jobs/${jobId}`, { token });

describe("Extracted characters", () => {
  it("a synchronous rebuild answers the characters with descriptions and mention counts, and the list and context show them", async () => {
    const owner = await newUser("ext");
    const id = await story(owner);
    const res = await rebuild(id, owner.token);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.items.map((c: { name: string; mentions: number; description: string }) => [c.name, c.mentions, c.description]),
      [
        ["Mara Vell", 3, "A lamplighter with ink-stained hands."],
        ["Tobin Quill", 3, "A smuggler with a silver tooth."],
      ],
    );
    assert.equal(res.body.total, 2);
    const listed = await api("GET", base(id), { token: owner.token });
    assert.deepEqual(listed.body.items, res.body.items);
    const context = await api("GET", `/api/v1/stories/${id}/context`, { token: owner.token });
    assert.deepEqual(context.body.extracted_characters, res.body.items);
  });

  it("a rebuild after the text changed replaces the previous extraction instead of adding to it", async () => {
    const owner = await newUser("ext");
    const id = await story(owner);
    await rebuild(id, owner.token);
    await api("PATCH", `/api/v1/stories/${id}`, { token: owner.token, body: { content: "Ysolde Brand, a cartographer, drew maps. Ysolde never slept." } });
    const again = await rebuild(id, owner.token);
    assert.deepEqual(again.body.items.map((c: { name: string }) => c.name), ["Ysolde Brand"]);
    assert.equal((await api("GET", base(id), { token: owner.token })).body.total, 1);
  });

  it("five parallel rebuilds leave exactly one extraction", async () => {
    const owner = await newUser("ext");
    const id = await story(owner);
    const statuses = await Promise.all(Array.from({ length: 5 }, () => rebuild(id, owner.token).then((r) => r.status)));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal((await api("GET", base(id), { token: owner.token })).body.total, 2);
  });

  it("rebuilding is for the owner and admins: a stranger gets 403, an unknown story 404, a deleted one 410", async () => {
    const owner = await newUser("ext");
    const id = await story(owner, TEXT, true);
    const stranger = await newUser("ext");
    assert.equal((await rebuild(id, stranger.token)).status, 403);
    assert.equal((await rebuildAsync(id, stranger.token)).status, 403);
    assert.equal((await api("GET", base(id), { token: stranger.token })).status, 200, "a public story's list is readable");
    assert.equal((await rebuild(id, (await adminUser()).token)).status, 200);
    assert.equal((await rebuild("00000000-0000-4000-8000-000000000000", owner.token)).status, 404);
    await api("DELETE", `/api/v1/stories/${id}`, { token: owner.token });
    assert.equal((await rebuild(id, owner.token)).status, 410);
    assert.equal((await rebuildAsync(id, owner.token)).status, 410);
  });

  it("an asynchronous rebuild answers 202 with a job that a poll right after finds, and that completes with the result count", async () => {
    const owner = await newUser("ext");
    const id = await story(owner);
    const started = await rebuildAsync(id, owner.token);
    assert.equal(started.status, 202);
    assert.equal(started.body.status, "in_progress");
    const poll = await jobOf(id, started.body.job_id, owner.token);
    assert.equal(poll.status, 200);
    assert.equal(poll.body.job_id, started.body.job_id);
    assert.ok(["in_progress", "completed"].includes(poll.body.status), poll.body.status);
    const done = await eventually(async () => {
      const res = await jobOf(id, started.body.job_id, owner.token);
      return res.body.status === "completed" && res.body;
    }, "the job completes");
    assert.deepEqual(done, { job_id: started.body.job_id, status: "completed", result_count: 2 });
    assert.equal((await api("GET", base(id), { token: owner.token })).body.total, 2);
  });

  it("a job's status is mirrored in presence, and read from the database when the mirror is gone", async () => {
    const owner = await newUser("ext");
    const id = await story(owner);
    const { body } = await rebuildAsync(id, owner.token);
    const key = `story-extraction:job:${body.job_id}`;
    await eventually(async () => (JSON.parse((await matchMaker.presence.get(key)) as string).status === "completed"), "mirror completed");
    const mirrored = await jobOf(id, body.job_id, owner.token);
    await matchMaker.presence.del(key);
    const fromDb = await jobOf(id, body.job_id, owner.token);
    assert.deepEqual(fromDb.body, mirrored.body);
    assert.equal(fromDb.body.status, "completed");
  });

  it("a finished job cannot be cancelled: 409 job_finished", async () => {
    const owner = await newUser("ext");
    const id = await story(owner);
    const { body } = await rebuildAsync(id, owner.token);
    await eventually(async () => (await jobOf(id, body.job_id, owner.token)).body.status === "completed", "completed");
    const res = await api("POST", `${base(id)}/jobs/${body.job_id}/cancel`, { token: owner.token });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, "job_finished");
    assert.equal((await api("GET", base(id), { token: owner.token })).body.total, 2, "results stay");
  });

  it("jobs are the story owner's and admins': a stranger gets 403; another story's or an unknown job is 404", async () => {
    const owner = await newUser("ext");
    const [id, other] = await Promise.all([story(owner), story(owner)]);
    const { body } = await rebuildAsync(id, owner.token);
    const stranger = await newUser("ext");
    assert.equal((await jobOf(id, body.job_id, stranger.token)).status, 403);
    assert.equal((await api("POST", `${base(id)}/jobs/${body.job_id}/cancel`, { token: stranger.token })).status, 403);
    assert.equal((await jobOf(id, body.job_id, (await adminUser()).token)).status, 200);
    assert.equal((await jobOf(other, body.job_id, owner.token)).status, 404);
    assert.equal((await jobOf(id, "00000000-0000-4000-8000-000000000000", owner.token)).status, 404);
    assert.equal((await jobOf(id, "garbage", owner.token)).status, 404);
    assert.equal((await api("POST", `${base(id)}/jobs/garbage/cancel`, { token: owner.token })).status, 404);
  });

  it("the job's starter hears it in their inbox: in_progress, then completed with the count", async () => {
    const owner = await newUser("ext");
    const id = await story(owner);
    const inbox = await sdk(owner.token).joinOrCreate("inbox", {});
    const seen: any[] = [];
    inbox.onMessage("notification", (n) => seen.push(n));
    try {
      const { body } = await rebuildAsync(id, owner.token);
      const mine = () => seen.filter((n) => n.kind === "job_updated" && n.data.job_id === body.job_id);
      await eventually(() => mine().length === 2, "two updates");
      assert.deepEqual(mine().map((n) => n.data.status), ["in_progress", "completed"]);
      assert.deepEqual(mine()[1].data, { job_id: body.job_id, kind: "character_extraction", story_id: id, status: "completed", result_count: 2 });
    } finally {
      await inbox.leave();
    }
  });
});
