import assert from "node:assert/strict";
import { adminUser, api, newUser, type TestUser } from "../support/api";
import { createInteraction, createSite, siteMember, type TestSite } from "../support/sites";

const MISSING = "00000000-0000-4000-8000-000000000000";
const TYPES = ["support_ticket", "warning", "ban", "appeal", "note", "feedback"];

type Row = { id: string; [field: string]: unknown };
const ids = (items: Row[]) => items.map((i) => i.id);
const fields = (res: { body: { errors?: { field: string }[] } }) => (res.body.errors ?? []).map((e) => e.field).sort();

async function characterOf(player: TestUser): Promise<string> {
  const res = await api("POST", "/api/v1/characters", { token: player.token, body: { name: "Suspect" } });
  assert.equal(res.status, 201);
  return res.body.id;
}

describe("Interactions", () => {
  let adminToken: string;
  let site: TestSite;
  let staff: TestUser;
  let colleague: TestUser;
  let player: TestUser;
  before(async () => {
    adminToken = (await adminUser()).token;
    site = await createSite(adminToken);
    staff = await siteMember(site.id, "staff");
    colleague = await siteMember(site.id, "manager", "colleague");
    player = await newUser("player");
  });

  describe("GET /interactions/types", () => {
    it("lists every type with its label, for any signed-in user", async () => {
      const res = await api("GET", "/api/v1/interactions/types", { token: player.token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.map((t: { key: string }) => t.key), TYPES);
      assert.deepEqual(res.body[0], { key: "support_ticket", label: "Support ticket" });
      assert.equal((await api("GET", "/api/v1/interactions/types")).status, 401);
    });
  });

  describe("without an active site", () => {
    it("every interaction route answers 400 no_active_site", async () => {
      const member = await newUser("unscoped");
      await api("POST", `/api/v1/sites/${site.id}/users`, { token: adminToken, body: { user_id: member.id, site_role: "staff" } });
      const existing = await createInteraction(staff.token, { type: "note", summary: "exists" });
      for (const [method, path, body] of [
        ["GET", "/api/v1/interactions", undefined],
        ["POST", "/api/v1/interactions", { type: "note", summary: "x" }],
        ["GET", `/api/v1/interactions/${existing.id}`, undefined],
        ["PATCH", `/api/v1/interactions/${existing.id}`, { summary: "y" }],
        ["DELETE", `/api/v1/interactions/${existing.id}`, undefined],
        ["GET", `/api/v1/interactions/${existing.id}/history`, undefined],
      ] as const) {
        const res = await api(method, path, { token: member.token, body });
        assert.equal(res.status, 400, `${method} ${path}`);
        assert.equal(res.body.code, "no_active_site");
      }
    });

    it("without a token they answer 401", async () => {
      assert.equal((await api("GET", "/api/v1/interactions")).status, 401);
    });
  });

  describe("create, read, change, delete", () => {
    it("POST records who created it: 201 with Location, created_by = updated_by, occurred_at defaulting to now", async () => {
      const before = Date.now();
      const res = await api("POST", "/api/v1/interactions", {
        token: staff.token,
        body: { type: "support_ticket", summary: "  Lost sword  ", details: "Says it vanished after a trade", subject_user_id: player.id },
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get("location"), `/api/v1/interactions/${res.body.id}`);
      const { id, created_at, updated_at, occurred_at, ...rest } = res.body;
      assert.deepEqual(rest, {
        site_id: site.id,
        type: "support_ticket",
        summary: "Lost sword",
        details: "Says it vanished after a trade",
        subject_user_id: player.id,
        character_id: null,
        created_by: staff.id,
        updated_by: staff.id,
      });
      assert.ok(Date.parse(occurred_at) >= before - 1000 && Date.parse(occurred_at) <= Date.now() + 1000);
      const got = await api("GET", `/api/v1/interactions/${id}`, { token: colleague.token });
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, res.body);
    });

    it("an occurred_at with an offset is stored as that instant", async () => {
      const res = await createInteraction(staff.token, { type: "note", summary: "late", occurred_at: "2025-06-01T23:30:00+02:00" });
      assert.equal(res.occurred_at, "2025-06-01T21:30:00.000Z");
    });

    it("a character brings its owner as the subject; a subject who does not own it is 400", async () => {
      const character = await characterOf(player);
      const res = await createInteraction(staff.token, { type: "warning", summary: "Spam in chat", character_id: character });
      assert.equal(res.subject_user_id, player.id);
      assert.equal(res.character_id, character);
      const both = await createInteraction(staff.token, { type: "warning", summary: "again", character_id: character, subject_user_id: player.id });
      assert.equal(both.subject_user_id, player.id);
      const wrong = await api("POST", "/api/v1/interactions", { token: staff.token, body: { type: "ban", summary: "x", character_id: character, subject_user_id: staff.id } });
      assert.equal(wrong.status, 400);
      assert.deepEqual(fields(wrong), ["subject_user_id"]);
    });

    it("PATCH of the character moves the subject to its owner; a subject that does not own the kept character is 400", async () => {
      const other = await newUser("other");
      const [mine, theirs] = [await characterOf(player), await characterOf(other)];
      const created = await createInteraction(staff.token, { type: "warning", summary: "Griefing", character_id: mine });
      const moved = await api("PATCH", `/api/v1/interactions/${created.id}`, { token: staff.token, body: { character_id: theirs } });
      assert.equal(moved.status, 200);
      assert.deepEqual([moved.body.character_id, moved.body.subject_user_id], [theirs, other.id]);
      const wrong = await api("PATCH", `/api/v1/interactions/${created.id}`, { token: staff.token, body: { subject_user_id: player.id } });
      assert.equal(wrong.status, 400);
      assert.deepEqual(fields(wrong), ["subject_user_id"]);
      const cleared = await api("PATCH", `/api/v1/interactions/${created.id}`, { token: staff.token, body: { character_id: null, subject_user_id: player.id } });
      assert.deepEqual([cleared.body.character_id, cleared.body.subject_user_id], [null, player.id]);
    });

    it("an unknown subject or character is 400 validation_failed naming the field", async () => {
      const res = await api("POST", "/api/v1/interactions", { token: staff.token, body: { type: "note", summary: "x", subject_user_id: MISSING, character_id: MISSING } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      assert.deepEqual(fields(res), ["character_id", "subject_user_id"]);
    });

    it("an unknown type, an empty summary, an impossible date and unknown fields are 400 with errors", async () => {
      const res = await api("POST", "/api/v1/interactions", {
        token: staff.token,
        body: { type: "praise", summary: "   ", occurred_at: "2026-02-30T10:00:00Z", site_id: MISSING, created_by: MISSING },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      assert.deepEqual(fields(res), ["created_by", "occurred_at", "site_id", "summary", "type"]);
      const byField = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
      assert.equal(byField.site_id, "is unknown");
      assert.match(byField.type, /must be one of "support_ticket"/);
    });

    it("dates Postgres could not store (year 0, a date without a time, words) are 400, not 500", async () => {
      for (const occurred_at of ["0000-06-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "2026-01-31", "yesterday", "2026-01-31T12:00"]) {
        const res = await api("POST", "/api/v1/interactions", { token: staff.token, body: { type: "note", summary: "x", occurred_at } });
        assert.equal(res.status, 400, occurred_at);
        assert.deepEqual(fields(res), ["occurred_at"]);
      }
    });

    it("a NUL character or an oversized summary is 400", async () => {
      const nul = await api("POST", "/api/v1/interactions", { token: staff.token, body: { type: "note", summary: "a\u0000b" } });
      assert.equal(nul.status, 400);
      const long = await api("POST", "/api/v1/interactions", { token: staff.token, body: { type: "note", summary: "x".repeat(201) } });
      assert.deepEqual(fields(long), ["summary"]);
    });

    it("PATCH changes only the named fields and records who changed it", async () => {
      const created = await createInteraction(staff.token, { type: "support_ticket", summary: "Cannot log in", details: "since Tuesday" });
      const res = await api("PATCH", `/api/v1/interactions/${created.id}`, { token: colleague.token, body: { type: "feedback", details: null } });
      assert.equal(res.status, 200);
      assert.equal(res.body.type, "feedback");
      assert.equal(res.body.details, null);
      assert.equal(res.body.summary, "Cannot log in");
      assert.equal(res.body.created_by, staff.id);
      assert.equal(res.body.updated_by, colleague.id);
      assert.ok(Date.parse(res.body.updated_at) > Date.parse(created.updated_at));
      assert.deepEqual((await api("GET", `/api/v1/interactions/${created.id}`, { token: staff.token })).body, res.body);
    });

    it("PATCH with an unknown field, a bad type or a bad subject is 400 and changes nothing", async () => {
      const created = await createInteraction(staff.token, { type: "note", summary: "keep" });
      const res = await api("PATCH", `/api/v1/interactions/${created.id}`, { token: staff.token, body: { summary: "changed", site_id: MISSING, type: "kudos" } });
      assert.equal(res.status, 400);
      assert.deepEqual(fields(res), ["site_id", "type"]);
      const subject = await api("PATCH", `/api/v1/interactions/${created.id}`, { token: staff.token, body: { summary: "changed", subject_user_id: MISSING } });
      assert.deepEqual(fields(subject), ["subject_user_id"]);
      assert.equal((await api("GET", `/api/v1/interactions/${created.id}`, { token: staff.token })).body.summary, "keep");
    });

    it("GET, PATCH and DELETE of an unknown or malformed id are 404 not_found", async () => {
      for (const id of [MISSING, "42", "not-a-uuid"]) {
        for (const [method, body] of [["GET", undefined], ["PATCH", { summary: "x" }], ["DELETE", undefined]] as const) {
          const res = await api(method, `/api/v1/interactions/${id}`, { token: staff.token, body });
          assert.equal(res.status, 404, `${method} ${id}`);
          assert.equal(res.body.detail, "interaction not found");
        }
        assert.equal((await api("GET", `/api/v1/interactions/${id}/history`, { token: staff.token })).status, 404);
      }
    });

    it("DELETE is 204, then the interaction is 404; two parallel deletes give one 204 and one 404", async () => {
      const created = await createInteraction(staff.token, { type: "note", summary: "to delete" });
      const results = await Promise.all([staff, colleague].map((u) => api("DELETE", `/api/v1/interactions/${created.id}`, { token: u.token })));
      assert.deepEqual(results.map((r) => r.status).sort(), [204, 404]);
      assert.equal((await api("GET", `/api/v1/interactions/${created.id}`, { token: staff.token })).status, 404);
      assert.equal((await api("PATCH", `/api/v1/interactions/${created.id}`, { token: staff.token, body: { summary: "x" } })).status, 404);
    });
  });

  describe("history", () => {
    it("records create, update and delete with who, when and each field's old and new value, and outlives the delete", async () => {
      const created = await createInteraction(staff.token, { type: "ban", summary: "Cheating", subject_user_id: player.id, occurred_at: "2026-01-10T08:00:00Z" });
      await api("PATCH", `/api/v1/interactions/${created.id}`, { token: colleague.token, body: { summary: "Cheating (speed hack)", details: "seen by two staff" } });
      assert.equal((await api("DELETE", `/api/v1/interactions/${created.id}`, { token: staff.token })).status, 204);

      const res = await api("GET", `/api/v1/interactions/${created.id}/history`, { token: colleague.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 3);
      const [create, update, remove] = res.body.items;
      assert.deepEqual(
        res.body.items.map((e: { action: string; by_user_id: string }) => [e.action, e.by_user_id]),
        [["create", staff.id], ["update", colleague.id], ["delete", staff.id]],
      );
      assert.deepEqual(create.changes, {
        type: { old: null, new: "ban" },
        summary: { old: null, new: "Cheating" },
        subject_user_id: { old: null, new: player.id },
        occurred_at: { old: null, new: "2026-01-10T08:00:00.000Z" },
      });
      assert.deepEqual(update.changes, {
        summary: { old: "Cheating", new: "Cheating (speed hack)" },
        details: { old: null, new: "seen by two staff" },
      });
      assert.deepEqual(remove.changes, {
        type: { old: "ban", new: null },
        summary: { old: "Cheating (speed hack)", new: null },
        details: { old: "seen by two staff", new: null },
        subject_user_id: { old: player.id, new: null },
        occurred_at: { old: "2026-01-10T08:00:00.000Z", new: null },
      });
      for (const entry of res.body.items) assert.ok(Date.parse(entry.at));
      assert.ok(Date.parse(create.at) <= Date.parse(update.at) && Date.parse(update.at) <= Date.parse(remove.at));
    });

    it("a PATCH that changes nothing writes no history entry", async () => {
      const created = await createInteraction(staff.token, { type: "note", summary: "same" });
      const res = await api("PATCH", `/api/v1/interactions/${created.id}`, { token: colleague.token, body: { summary: "same", type: "note" } });
      assert.equal(res.status, 200);
      assert.equal(res.body.updated_by, staff.id);
      assert.equal((await api("PATCH", `/api/v1/interactions/${created.id}`, { token: colleague.token, body: {} })).status, 200);
      assert.equal((await api("GET", `/api/v1/interactions/${created.id}/history`, { token: staff.token })).body.total, 1);
    });

    it("parallel PATCHes each leave one entry, chained: each entry's old values are the previous one's new", async () => {
      const created = await createInteraction(staff.token, { type: "note", summary: "v0" });
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => api("PATCH", `/api/v1/interactions/${created.id}`, { token: n % 2 ? staff.token : colleague.token, body: { summary: `v${n}` } })),
      );
      assert.ok(results.every((r) => r.status === 200));
      const history = (await api("GET", `/api/v1/interactions/${created.id}/history`, { token: staff.token })).body;
      assert.equal(history.total, 6);
      const summaries = history.items.map((e: { changes: { summary: { old: string; new: string } } }) => e.changes.summary);
      for (let i = 1; i < summaries.length; i++) assert.equal(summaries[i].old, summaries[i - 1].new);
      const final = await api("GET", `/api/v1/interactions/${created.id}`, { token: staff.token });
      assert.equal(final.body.summary, summaries[summaries.length - 1].new);
    });
  });

  describe("filters, sort and pagination", () => {
    let filterSite: TestSite;
    let member: TestUser;
    let subjectA: TestUser;
    let subjectB: TestUser;
    let characterA: string;
    const made: Record<string, Row> = {};
    before(async () => {
      filterSite = await createSite(adminToken);
      member = await siteMember(filterSite.id);
      subjectA = await newUser("subja");
      subjectB = await newUser("subjb");
      characterA = await characterOf(subjectA);
      const rows: [string, Record<string, unknown>][] = [
        ["warnA", { type: "warning", summary: "Toxic language", details: "in the TAVERN square", subject_user_id: subjectA.id, occurred_at: "2026-01-05T10:00:00Z" }],
        ["banA", { type: "ban", summary: "Cheating", character_id: characterA, occurred_at: "2026-01-20T10:00:00Z" }],
        ["warnB", { type: "warning", summary: "Spam", details: "links to a tavern clone", subject_user_id: subjectB.id, occurred_at: "2026-01-31T23:59:59Z" }],
        ["noteB", { type: "note", summary: "100% discount_code abuse", subject_user_id: subjectB.id, occurred_at: "2026-02-01T00:00:00Z" }],
        ["appealA", { type: "appeal", summary: "Appeal of the ban", subject_user_id: subjectA.id, occurred_at: "2026-02-10T10:00:00Z" }],
      ];
      for (const [name, body] of rows) made[name] = await createInteraction(member.token, body);
    });

    const list = (query: string) => api("GET", `/api/v1/interactions${query}`, { token: member.token });
    const names = (items: Row[]) => items.map((i) => Object.entries(made).find(([, m]) => m.id === i.id)?.[0] ?? i.id);

    it("lists newest first by default and oldest first with sort=occurred_at", async () => {
      const res = await list("");
      assert.equal(res.status, 200);
      assert.deepEqual(names(res.body.items), ["appealA", "noteB", "warnB", "banA", "warnA"]);
      assert.equal(res.body.total, 5);
      assert.deepEqual(names((await list("?sort=occurred_at")).body.items), ["warnA", "banA", "warnB", "noteB", "appealA"]);
      assert.deepEqual(names((await list("?sort=-occurred_at")).body.items), ["appealA", "noteB", "warnB", "banA", "warnA"]);
    });

    it("filters by type, subject (including their characters) and character", async () => {
      assert.deepEqual(names((await list("?type=warning")).body.items), ["warnB", "warnA"]);
      assert.deepEqual(names((await list(`?subject_user_id=${subjectA.id}`)).body.items), ["appealA", "banA", "warnA"]);
      assert.deepEqual(names((await list(`?character_id=${characterA}`)).body.items), ["banA"]);
    });

    it("from and to bound occurred_at inclusively; a date alone means that whole day", async () => {
      assert.deepEqual(names((await list("?from=2026-01-20T10:00:00Z&to=2026-02-01T00:00:00Z")).body.items), ["noteB", "warnB", "banA"]);
      assert.deepEqual(names((await list("?from=2026-01-06&to=2026-01-31")).body.items), ["warnB", "banA"]);
      assert.deepEqual(names((await list("?from=2026-02-01")).body.items), ["appealA", "noteB"]);
      assert.deepEqual(names((await list("?to=2026-01-05T09:59:59Z")).body.items), []);
      assert.deepEqual(names((await list("?from=2026-01-31T22:00:00-02:00")).body.items), ["appealA", "noteB"]);
    });

    it("q matches summary or details case-insensitively", async () => {
      assert.deepEqual(names((await list("?q=tavern")).body.items), ["warnB", "warnA"]);
      assert.deepEqual(names((await list("?q=CHEAT")).body.items), ["banA"]);
      assert.deepEqual(names((await list("?q=appeal%20OF")).body.items), ["appealA"]);
    });

    it("q takes % and _ literally", async () => {
      assert.deepEqual(names((await list("?q=100%25")).body.items), ["noteB"]);
      assert.deepEqual(names((await list("?q=%25")).body.items), ["noteB"]);
      assert.deepEqual(names((await list("?q=t_code")).body.items), ["noteB"]);
      assert.deepEqual(names((await list("?q=_")).body.items), ["noteB"]);
      assert.deepEqual(names((await list("?q=Tox_c")).body.items), []);
    });

    it("filters combine with AND", async () => {
      assert.deepEqual(names((await list(`?type=warning&subject_user_id=${subjectB.id}`)).body.items), ["warnB"]);
      assert.deepEqual(names((await list(`?type=warning&q=tavern&from=2026-01-10`)).body.items), ["warnB"]);
      assert.deepEqual(names((await list(`?type=ban&subject_user_id=${subjectB.id}`)).body.items), []);
      const res = await list(`?subject_user_id=${subjectA.id}&character_id=${characterA}&type=ban&q=cheat&from=2026-01-01&to=2026-01-31&sort=occurred_at`);
      assert.deepEqual(names(res.body.items), ["banA"]);
      assert.equal(res.body.total, 1);
    });

    it("invalid dates, an unknown type, a malformed id, a bad sort and unknown parameters are 400 with errors", async () => {
      const res = await list("?from=2026-13-01&to=soon&type=praise&subject_user_id=42&sort=name&site_id=x");
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      assert.deepEqual(fields(res), ["from", "site_id", "sort", "subject_user_id", "to", "type"]);
      const backwards = await list("?from=2026-02-01&to=2026-01-01");
      assert.equal(backwards.status, 400);
      assert.deepEqual(fields(backwards), ["to"]);
      const repeated = await list("?type=ban&type=note");
      assert.equal(repeated.status, 400);
      assert.deepEqual(fields(repeated), ["type"]);
      for (const bad of ["?from=2026-02-30", "?to=0000-01-01", "?limit=0", "?offset=-1"]) assert.equal((await list(bad)).status, 400, bad);
    });
  });

  describe("pagination with 120 interactions", () => {
    let pageSite: TestSite;
    let member: TestUser;
    before(async function () {
      this.timeout(60_000);
      pageSite = await createSite(adminToken);
      member = await siteMember(pageSite.id);
      for (let batch = 0; batch < 12; batch++) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => {
            const n = batch * 10 + i;
            const occurred = new Date(Date.UTC(2025, 0, 1) + n * 3_600_000).toISOString();
            return createInteraction(member.token, { type: n % 3 === 0 ? "warning" : "note", summary: `Entry ${n}`, occurred_at: occurred });
          }),
        );
      }
    });

    it("pages of 50 cover all 120 exactly once, in order, with total 120 on each", async () => {
      const pages = await Promise.all([0, 50, 100].map((offset) => api("GET", `/api/v1/interactions?offset=${offset}`, { token: member.token })));
      assert.deepEqual(pages.map((p) => [p.body.total, p.body.limit, p.body.offset, p.body.items.length]), [
        [120, 50, 0, 50],
        [120, 50, 50, 50],
        [120, 50, 100, 20],
      ]);
      const all = pages.flatMap((p) => p.body.items as Row[]);
      assert.equal(new Set(ids(all)).size, 120);
      const times = all.map((i) => Date.parse(i.occurred_at as string));
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
      const beyond = await api("GET", "/api/v1/interactions?offset=120", { token: member.token });
      assert.deepEqual([beyond.body.total, beyond.body.items.length], [120, 0]);
    });

    it("limit is capped at 100, and a filter's total counts only its matches", async () => {
      const capped = await api("GET", "/api/v1/interactions?limit=1000", { token: member.token });
      assert.deepEqual([capped.body.limit, capped.body.items.length, capped.body.total], [100, 100, 120]);
      const warnings = await api("GET", "/api/v1/interactions?type=warning&limit=7&offset=35&sort=occurred_at", { token: member.token });
      assert.equal(warnings.body.total, 40);
      assert.deepEqual(warnings.body.items.map((i: Row) => i.summary), ["Entry 105", "Entry 108", "Entry 111", "Entry 114", "Entry 117"]);
      const window = await api("GET", "/api/v1/interactions?from=2025-01-02&to=2025-01-02&limit=5", { token: member.token });
      assert.equal(window.body.total, 24);
    });
  });

  describe("site isolation", () => {
    let siteA: TestSite;
    let siteB: TestSite;
    let memberA: TestUser;
    let memberB: TestUser;
    let subject: TestUser;
    let character: string;
    let ofB: Row;
    before(async () => {
      siteA = await createSite(adminToken);
      siteB = await createSite(adminToken);
      memberA = await siteMember(siteA.id, "manager");
      memberB = await siteMember(siteB.id);
      subject = await newUser("shared");
      character = await characterOf(subject);
      ofB = await createInteraction(memberB.token, { type: "ban", summary: "Banned on B for griefing", details: "griefing", character_id: character, occurred_at: "2026-03-01T00:00:00Z" });
      await createInteraction(memberA.token, { type: "note", summary: "Friendly on A", subject_user_id: subject.id, occurred_at: "2026-03-02T00:00:00Z" });
    });

    it("another site's interaction is 404 by id for GET, PATCH, DELETE and history, exactly like one that does not exist", async () => {
      for (const [method, suffix, body] of [
        ["GET", "", undefined],
        ["PATCH", "", { summary: "rewritten from A" }],
        ["DELETE", "", undefined],
        ["GET", "/history", undefined],
      ] as const) {
        const other = await api(method, `/api/v1/interactions/${ofB.id}${suffix}`, { token: memberA.token, body });
        const missing = await api(method, `/api/v1/interactions/${MISSING}${suffix}`, { token: memberA.token, body });
        assert.equal(other.status, 404, `${method} ${suffix}`);
        assert.deepEqual(other.body, missing.body);
      }
      const stillThere = await api("GET", `/api/v1/interactions/${ofB.id}`, { token: memberB.token });
      assert.equal(stillThere.status, 200);
      assert.deepEqual(stillThere.body, ofB);
      const history = await api("GET", `/api/v1/interactions/${ofB.id}/history`, { token: memberB.token });
      assert.deepEqual(history.body.items.map((e: { action: string }) => e.action), ["create"]);
    });

    it("no filter reaches another site's interactions", async () => {
      for (const query of [
        "",
        "?type=ban",
        `?character_id=${character}`,
        `?subject_user_id=${subject.id}&type=ban`,
        "?q=griefing",
        "?q=B%20for",
        "?from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z",
        "?sort=occurred_at&limit=100",
      ]) {
        const res = await api("GET", `/api/v1/interactions${query}`, { token: memberA.token });
        assert.equal(res.status, 200, query);
        assert.ok(!ids(res.body.items).includes(ofB.id), query);
        for (const item of res.body.items) assert.equal(item.site_id, siteA.id);
      }
      const byCharacter = await api("GET", `/api/v1/interactions?character_id=${character}`, { token: memberA.token });
      assert.deepEqual([byCharacter.body.total, byCharacter.body.items.length], [0, 0]);
      const bySubject = await api("GET", `/api/v1/interactions?subject_user_id=${subject.id}`, { token: memberA.token });
      assert.deepEqual(bySubject.body.items.map((i: Row) => i.summary), ["Friendly on A"]);
      assert.equal(bySubject.body.total, 1);
    });

    it("a deleted interaction's history stays with its own site only", async () => {
      const gone = await createInteraction(memberB.token, { type: "note", summary: "short-lived" });
      assert.equal((await api("DELETE", `/api/v1/interactions/${gone.id}`, { token: memberB.token })).status, 204);
      assert.equal((await api("GET", `/api/v1/interactions/${gone.id}/history`, { token: memberB.token })).body.total, 2);
      assert.equal((await api("GET", `/api/v1/interactions/${gone.id}/history`, { token: memberA.token })).status, 404);
    });

    it("a member of both sites sees each site's interactions only while it is the active one", async () => {
      const both = await siteMember(siteA.id, "staff", "both");
      await api("POST", `/api/v1/sites/${siteB.id}/users`, { token: adminToken, body: { user_id: both.id, site_role: "staff" } });
      assert.equal((await api("GET", `/api/v1/interactions/${ofB.id}`, { token: both.token })).status, 404);
      const onB = await api("POST", "/api/v1/auth/site", { token: both.token, body: { site_id: siteB.id } });
      assert.equal((await api("GET", `/api/v1/interactions/${ofB.id}`, { token: onB.body.access_token })).status, 200);
      const listed = await api("GET", "/api/v1/interactions", { token: onB.body.access_token });
      for (const item of listed.body.items) assert.equal(item.site_id, siteB.id);
    });
  });
});
