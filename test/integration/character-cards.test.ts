import assert from "node:assert/strict";
import { api, adminUser, newUser, userWithRoles, type TestUser } from "../support/api";
import { base64Json, charaOf, chunk, chunksOf, png, text, textsOf } from "../support/png";
import { baseUrl } from "../support/server";

const IMPORT = "/api/v1/characters/import";

interface Sent {
  status: number;
  headers: Headers;
  json: any;
  bytes: Buffer;
}

/** A request with any body and headers; the answer as bytes, and as JSON when it is JSON. */
async function send(method: string, path: string, options: { token?: string; type?: string; body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Sent> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.type) headers["content-type"] = options.type;
  const res = await fetch(baseUrl() + path, { method, headers, body: options.body as BodyInit | undefined });
  const bytes = Buffer.from(await res.arrayBuffer());
  const json = /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(bytes.toString("utf8")) : undefined;
  return { status: res.status, headers: res.headers, json, bytes };
}

const importJson = (user: TestUser, card: unknown) => send("POST", IMPORT, { token: user.token, type: "application/json", body: JSON.stringify(card) });
const importPng = (user: TestUser, file: Buffer) => send("POST", IMPORT, { token: user.token, type: "image/png", body: file });
const exportCard = (user: { token: string }, id: string, query = "", headers: Record<string, string> = {}) => send("GET", `/api/v1/characters/${id}/card${query}`, { token: user.token, headers });

const v2Card = () => ({
  spec: "chara_card_v2",
  spec_version: "2.0",
  data: {
    name: "Seraphina",
    description: "Guardian of the glade. <b>bold</b>",
    personality: "kind, fierce",
    scenario: "{{user}} wakes in a glade.",
    first_mes: "*Seraphina kneels.* You're awake.",
    mes_example: "<START>\n{{user}}: hi\n{{char}}: hello",
    creator_notes: "Notes for users.",
    system_prompt: "Write as {{char}}.",
    post_history_instructions: "Stay in character.",
    alternate_greetings: ["Second greeting.", "Third greeting."],
    character_book: {
      name: "Glade lore",
      scan_depth: 3,
      token_budget: 500,
      recursive_scanning: false,
      extensions: { "x/y": 1 },
      entries: [
        { id: 1, keys: ["glade"], secondary_keys: [], content: "The glade heals.", extensions: {}, enabled: true, insertion_order: 1, case_sensitive: false, constant: false, selective: false, position: "before_char", comment: "c" },
        { id: 2, keys: ["Moon"], content: "The moon is a door.", extensions: { depth: 4 }, enabled: false, insertion_order: 2, case_sensitive: true },
      ],
    },
    tags: ["Fantasy", "guardian", "fantasy"],
    creator: "tester",
    character_version: "1.2",
    extensions: { talkativeness: "0.5", fav: false, "chub/alt": { deep: [1, { x: null }] } },
    x_unknown: "kept",
  },
});

async function assertRefused(res: Sent, detail: RegExp, user: TestUser) {
  assert.equal(res.status, 400, JSON.stringify(res.json));
  assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
  assert.equal(res.json.code, "invalid_card");
  assert.match(res.json.detail, detail);
  const list = await api("GET", "/api/v1/characters", { token: user.token });
  assert.equal(list.body.total, 0, "nothing stored");
}

describe("Character cards", () => {
  describe("POST /characters/import", () => {
    it("a V2 JSON card makes a private character of the caller (201, Location) with its greeting, start sets and tags", async () => {
      const user = await newUser("card");
      const card = v2Card();
      const res = await importJson(user, card);
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal(res.headers.get("location"), `/api/v1/characters/${res.json.id}`);
      const c = res.json;
      assert.equal(c.owner_id, user.id);
      assert.equal(c.is_public, false);
      assert.equal(c.name, "Seraphina");
      assert.equal(c.description, card.data.description);
      assert.equal(c.greeting, card.data.first_mes);
      assert.deepEqual(c.tags, card.data.tags);
      assert.deepEqual(c.start_sets.map((s: { first_line: string }) => s.first_line), card.data.alternate_greetings);
      assert.deepEqual(c.start_sets.map((s: { title: string }) => s.title), ["Alternate greeting 1", "Alternate greeting 2"]);
      for (const key of ["stats", "zone_id", "position", "endings", "class"]) assert.ok(key in c, `${key} in the full view`);
      const got = await api("GET", `/api/v1/characters/${c.id}`, { token: user.token });
      assert.deepEqual(got.body, c);
    });

    it("round trip: a V2 card imported and exported is equal on every field", async () => {
      const user = await newUser("card");
      const card = v2Card();
      const { json: created } = await importJson(user, card);
      const res = await exportCard(user, created.id);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      assert.deepEqual(res.json, card);
    });

    it("round trip: a PNG card imported and exported as PNG carries the same card in its chara chunk and the same image", async () => {
      const user = await newUser("card");
      const card = v2Card();
      const file = png(chunk("gAMA", Buffer.from([0, 0, 0xb1, 0x8f])), text("Comment", "made with a camera"), chunk("eXIf", "MM\u0000*"), text("chara", base64Json(card)));
      const created = await importPng(user, file);
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assert.equal(created.json.name, "Seraphina");
      const res = await exportCard(user, created.json.id, "?format=png");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.match(res.headers.get("content-disposition") ?? "", /^attachment; filename="?Seraphina\.png"?$/);
      assert.deepEqual(charaOf(res.bytes), card);
      const chunks = chunksOf(res.bytes);
      assert.ok(chunks.every((c) => c.crcOk), "every CRC is right");
      assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "gAMA", "tEXt", "IEND"], "the image is kept, its other metadata dropped");
      const idat = (f: Buffer) => chunksOf(f).find((c) => c.type === "IDAT")!.data;
      assert.deepEqual(idat(res.bytes), idat(file));
      assert.deepEqual(textsOf(res.bytes).map(([k]) => k), ["chara"]);
    });

    it("a PNG with a ccv3 chunk is read from it, not from its chara chunk", async () => {
      const user = await newUser("card");
      const v3 = { spec: "chara_card_v3", spec_version: "3.0", data: { ...v2Card().data, name: "From V3", nickname: "Tri", group_only_greetings: [] } };
      const res = await importPng(user, png(text("chara", base64Json(v2Card())), text("ccv3", base64Json(v3))));
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal(res.json.name, "From V3");
      const exported = await exportCard(user, res.json.id);
      assert.deepEqual(exported.json, { spec: "chara_card_v2", spec_version: "2.0", data: v3.data });
    });

    it("a broken ccv3 chunk beside a good chara chunk falls back to chara", async () => {
      const user = await newUser("card");
      const res = await importPng(user, png(text("ccv3", "not base64!"), text("chara", base64Json(v2Card()))));
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal(res.json.name, "Seraphina");
    });

    it("a V1 card (flat JSON) imports, and exports as V2 with its fields under data", async () => {
      const user = await newUser("card");
      const v1 = { name: "Old Tom", description: "A ferryman.", personality: "gruff", scenario: "A river.", first_mes: "Fare?", mes_example: "" };
      const res = await importJson(user, v1);
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal(res.json.greeting, "Fare?");
      const exported = await exportCard(user, res.json.id);
      assert.equal(exported.json.spec, "chara_card_v2");
      for (const [key, value] of Object.entries(v1)) assert.deepEqual(exported.json.data[key], value, key);
    });

    it("a V3 JSON card imports and keeps its V3 fields", async () => {
      const user = await newUser("card");
      const data = { ...v2Card().data, assets: [{ type: "icon", uri: "ccdefault:", name: "main", ext: "png" }], group_only_greetings: ["Hi, all."], creation_date: 1700000000 };
      const res = await importJson(user, { spec: "chara_card_v3", spec_version: "3.0", data });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.deepEqual((await exportCard(user, res.json.id)).json.data, data);
    });

    it("an import shows in the owner's list at once, through the same cache invalidation as any create", async () => {
      const user = await newUser("card");
      const first = await api("GET", "/api/v1/characters", { token: user.token });
      assert.equal(first.body.total, 0);
      await importJson(user, v2Card());
      const after = await api("GET", "/api/v1/characters", { token: user.token });
      assert.equal(after.headers.get("x-cache"), "miss");
      assert.deepEqual(after.body.items.map((c: { name: string }) => c.name), ["Seraphina"]);
    });

    describe("anything that is not a card is 400 invalid_card saying why, and stores nothing", () => {
      const cases: [string, () => { type: string; body: Buffer | string }, RegExp][] = [
        ["a body that is not JSON", () => ({ type: "application/json", body: "{ not json" }), /not JSON/],
        ["JSON that is not an object", () => ({ type: "application/json", body: "[1,2,3]" }), /JSON object/],
        ["JSON without card fields", () => ({ type: "application/json", body: JSON.stringify({ hello: "world" }) }), /no recognisable card fields/],
        ["an unknown spec", () => ({ type: "application/json", body: JSON.stringify({ spec: "lorebook_v3", data: { entries: [] } }) }), /spec "lorebook_v3"/],
        ["a field of the wrong type", () => ({ type: "application/json", body: JSON.stringify({ spec: "chara_card_v2", data: { name: "x", tags: "a,b" } }) }), /data\.tags/],
        ["a NUL character", () => ({ type: "application/json", body: JSON.stringify({ spec: "chara_card_v2", data: { name: "x\u0000y" } }) }), /cannot hold/],
        ["bytes that are not UTF-8", () => ({ type: "application/json", body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), /UTF-8/],
        ["an empty body", () => ({ type: "application/json", body: "" }), /no body/],
        ["a PNG without a chara chunk", () => ({ type: "image/png", body: png(text("Comment", "just a picture")) }), /no chara \(or ccv3\) tEXt chunk/],
        ["a chara chunk that is not base64", () => ({ type: "image/png", body: png(text("chara", "{\"name\":\"x\"}")) }), /chara chunk is not base64/],
        ["a chara chunk that is base64 but not JSON", () => ({ type: "image/png", body: png(text("chara", Buffer.from("hello there").toString("base64"))) }), /chara chunk is not JSON/],
        ["a chara chunk with JSON that is not a card", () => ({ type: "image/png", body: png(text("chara", base64Json({ a: 1 }))) }), /no recognisable card fields/],
        ["a truncated PNG", () => ({ type: "image/png", body: png(text("chara", base64Json(v2Card()))).subarray(0, 120) }), /truncated/],
        ["a PNG with a wrong CRC", () => {
          const file = png(text("chara", base64Json(v2Card())));
          file[file.length - 13] ^= 0x01;
          return { type: "image/png", body: file };
        }, /CRC/],
        ["JSON sent as image/png", () => ({ type: "image/png", body: JSON.stringify(v2Card()) }), /PNG signature/],
      ];
      for (const [what, build, detail] of cases) {
        it(what, async () => {
          const user = await newUser("cardx");
          const { type, body } = build();
          await assertRefused(await send("POST", IMPORT, { token: user.token, type, body }), detail, user);
        });
      }
    });

    it("another media type is 415 naming the two it takes; no token is 401", async () => {
      const user = await newUser("card");
      const res = await send("POST", IMPORT, { token: user.token, type: "text/plain", body: JSON.stringify(v2Card()) });
      assert.equal(res.status, 415);
      assert.equal(res.json.code, "unsupported_media_type");
      assert.match(res.json.detail, /application\/json or image\/png/);
      const anonymous = await send("POST", IMPORT, { type: "application/json", body: JSON.stringify(v2Card()) });
      assert.equal(anonymous.status, 401);
    });

    it("a card over CARD_IMPORT_LIMIT (2 MB) is 413, as JSON or as PNG, and stores nothing; one under it passes", async () => {
      const user = await newUser("card");
      const big = v2Card();
      big.data.extensions = { blob: "x".repeat(2 * 1024 * 1024) } as never;
      const json = await importJson(user, big);
      assert.equal(json.status, 413);
      assert.equal(json.json.code, "payload_too_large");
      const file = await importPng(user, png(chunk("zzZz", Buffer.alloc(2 * 1024 * 1024)), text("chara", base64Json(v2Card()))));
      assert.equal(file.status, 413);
      assert.equal((await api("GET", "/api/v1/characters", { token: user.token })).body.total, 0);
      const fits = v2Card();
      fits.data.extensions = { blob: "x".repeat(1024 * 1024) } as never;
      assert.equal((await importJson(user, fits)).status, 201, "a 1 MB card is over BODY_LIMIT but not over the card limit");
    });

    it("imported markup is data: stored and returned verbatim as JSON, never rendered", async () => {
      const user = await newUser("card");
      const name = `<img src=x onerror="alert(1)">`;
      const res = await importJson(user, { spec: "chara_card_v2", data: { name, description: "<script>alert(2)</script>" } });
      assert.equal(res.status, 201);
      assert.equal(res.json.name, name);
      const exported = await exportCard(user, res.json.id);
      assert.match(exported.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(exported.headers.get("x-content-type-options"), "nosniff");
      assert.equal(exported.json.data.description, "<script>alert(2)</script>");
      assert.match(exported.headers.get("content-disposition") ?? "", /^attachment; filename="_img src_x onerror_alert_1_\.json"$/);
    });
  });

  describe("GET /characters/{id}/card", () => {
    let owner: TestUser;
    let stranger: TestUser;
    let privateId: string;
    let publicId: string;

    before(async () => {
      owner = await newUser("cardo");
      stranger = await newUser("cards");
      privateId = (await importJson(owner, v2Card())).json.id;
      const made = await api("POST", "/api/v1/characters", {
        token: owner.token,
        body: { name: "Native", description: "Made here.", greeting: "Hello!", is_public: true, tags: ["x"], start_sets: [{ title: "Rain", intro: "It rains.", first_line: "Come in." }] },
      });
      publicId = made.body.id;
    });

    it("a character made here exports as a V2 card: greeting as first_mes, start sets as alternate greetings, V2 defaults", async () => {
      const res = await exportCard(owner, publicId);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        spec: "chara_card_v2",
        spec_version: "2.0",
        data: {
          name: "Native",
          description: "Made here.",
          personality: "",
          scenario: "",
          first_mes: "Hello!",
          mes_example: "",
          creator_notes: "",
          system_prompt: "",
          post_history_instructions: "",
          alternate_greetings: ["It rains.\n\nCome in."],
          tags: ["x"],
          creator: "",
          character_version: "",
          extensions: {},
        },
      });
    });

    it("without a portrait the PNG is a generated placeholder with the card in its chara chunk; Accept: image/png asks for it too", async () => {
      const res = await exportCard(owner, publicId, "", { accept: "image/png" });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.match(res.headers.get("vary") ?? "", /Accept/);
      const chunks = chunksOf(res.bytes);
      assert.ok(chunks.every((c) => c.crcOk));
      assert.equal(chunks[0]!.type, "IHDR");
      assert.equal(charaOf(res.bytes).data.name, "Native");
      const json = await exportCard(owner, publicId, "?format=json", { accept: "image/png" });
      assert.match(json.headers.get("content-type") ?? "", /application\/json/, "?format wins over Accept");
    });

    it("a public character's card is anyone's; a private one is the owner's, an operator's and an admin's, and 403 for others", async () => {
      assert.equal((await exportCard(stranger, publicId)).status, 200);
      const refused = await exportCard(stranger, privateId);
      assert.equal(refused.status, 403);
      assert.equal(refused.json.code, "forbidden");
      assert.equal((await exportCard(stranger, privateId, "?format=png")).status, 403);
      const operator = await userWithRoles("cardop", ["operator"]);
      assert.equal((await exportCard(operator, privateId)).status, 200);
      assert.equal((await exportCard(await adminUser(), privateId)).status, 200);
    });

    it("an unknown or malformed id is 404; no token is 401; an unknown format is 400", async () => {
      assert.equal((await exportCard(owner, "00000000-0000-4000-8000-000000000000")).status, 404);
      assert.equal((await exportCard(owner, "not-a-uuid")).status, 404);
      assert.equal((await send("GET", `/api/v1/characters/${publicId}/card`)).status, 401);
      const bad = await exportCard(owner, publicId, "?format=gif");
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, "validation_failed");
    });

    it("an export reflects later edits to the columns and keeps the card's own fields", async () => {
      const patched = await api("PATCH", `/api/v1/characters/${privateId}`, { token: owner.token, body: { name: "Renamed", tags: ["new"] } });
      assert.equal(patched.status, 200);
      const { json } = await exportCard(owner, privateId);
      assert.equal(json.data.name, "Renamed");
      assert.deepEqual(json.data.tags, ["new"]);
      assert.deepEqual(json.data.character_book, v2Card().data.character_book);
    });
  });
});
