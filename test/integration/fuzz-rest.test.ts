import assert from "node:assert/strict";
import fc from "fast-check";
import { api, newUser, userWithRoles } from "../support/api";
import { fuzzRuns, fuzzSeed, INTERNALS, nastyString, SchemaArbitraries, type JsonSchema } from "../support/fuzz";
import { baseUrl } from "../support/server";

/**
 * Every operation of /openapi.json, sent malformed input built by fast-check: bodies
 * shaped like the route's schema and broken in one place, random JSON, nasty strings,
 * hostile nesting, bad encodings, odd path and query values, with or without a token.
 * A route joins this suite by being in the document. Replay a failure with the seed:
 * FUZZ_SEED=<seed> npx mocha test/integration/fuzz-rest.test.ts
 */

interface Operation {
  method: string;
  path: string;
  tags?: string[];
  parameters?: { in: "path" | "query"; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const seed = fuzzSeed();

/** How the body travels: as JSON, or broken on the wire in one of the ways clients break it. */
const wire = fc.constantFrom("json", "json", "json", "not-json", "gzip-garbage", "text-plain", "deep");
/** For an operation that also takes a binary body (a PNG): random bytes of that type too, some behind a PNG signature. */
const binaryWire = fc.constantFrom("json", "json", "not-json", "gzip-garbage", "text-plain", "deep", "binary", "binary");
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const bytes = fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.uint8Array({ maxLength: 256 }).map((tail) => Uint8Array.from([...PNG_SIGNATURE, ...tail])));

describe(`REST fuzz over /openapi.json (FUZZ_SEED=${seed}, ${fuzzRuns()} runs per operation)`, function () {
  this.timeout(600_000);
  let operations: Operation[] = [];
  let arbitraries: SchemaArbitraries;
  const tokens: Record<"player" | "admin", string> = { player: "", admin: "" };

  before(async function () {
    this.timeout(120_000);
    const doc = (await api("GET", "/openapi.json")).body;
    arbitraries = new SchemaArbitraries(doc.components?.schemas ?? {});
    operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })))
      // The test server's fault-injection routes fail on purpose.
      .filter((op) => !op.tags?.includes("test"));
    tokens.player = (await newUser("fuzzp")).token;
    tokens.admin = (await userWithRoles("fuzza", ["admin"])).token;
  });

  it("covers every operation of the document", () => {
    assert.ok(operations.length >= 20, `only ${operations.length} operations`);
  });

  it("no operation answers a 5xx, a body without a problem document, or internals, whatever it is sent", async () => {
    for (const op of operations) {
      const params = op.parameters ?? [];
      const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
      const binaryType = Object.entries(op.requestBody?.content ?? {}).find(([, media]) => media.schema?.format === "binary")?.[0];
      const pathValue = fc.oneof(fc.uuid(), fc.constantFrom("%ff", "%00", "..%2F..", "%E0%A4%A", "x".repeat(300)), fc.string({ maxLength: 20 }));
      const query = fc.dictionary(
        fc.oneof(fc.constantFrom(...params.filter((p) => p.in === "query").map((p) => p.name), "limit", "offset", "unknown_param"), fc.string({ maxLength: 8 })),
        fc.oneof(fc.string({ maxLength: 16 }), nastyString, fc.integer().map(String), fc.constant("-1"), fc.constant("1e309")),
        { maxKeys: 3 },
      );
      const request = fc.record({
        who: fc.constantFrom("player", "admin", "none", "garbage"),
        pathValues: fc.array(pathValue, { minLength: 4, maxLength: 4 }),
        query,
        body: bodySchema ? arbitraries.broken(bodySchema) : fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        wire: binaryType ? binaryWire : wire,
        bytes,
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const sent = build(op, r, tokens, binaryType);
          const res = await fetch(sent.url, { method: sent.method, headers: sent.headers, body: sent.body as BodyInit | undefined, redirect: "manual" });
          const type = res.headers.get("content-type") ?? "";
          if (/event-stream/.test(type)) {
            await res.body?.cancel();
            return;
          }
          const text = await res.text();
          const where = `${sent.method} ${sent.url.slice(0, 200)} (${r.who}, ${r.wire}) → ${res.status} ${text.slice(0, 300)}`;
          assert.ok(res.status < 500, `5xx: ${where}`);
          assert.doesNotMatch(text, INTERNALS, `internals in the body: ${where}`);
          if (res.status >= 400) {
            assert.match(type, /application\/problem\+json/, `not a problem document: ${where}`);
            const problem = JSON.parse(text);
            for (const field of ["type", "title", "status", "detail", "code"]) assert.ok(problem[field] !== undefined, `no ${field}: ${where}`);
            assert.equal(problem.status, res.status, where);
          }
        }),
        { seed, numRuns: fuzzRuns(), endOnFailure: true },
      );
    }
  });
});

function build(
  op: Operation,
  r: { who: string; pathValues: string[]; query: Record<string, string>; body: unknown; wire: string; bytes: Uint8Array },
  tokens: Record<"player" | "admin", string>,
  binaryType: string | undefined,
): Sent {
  let i = 0;
  // Path values go in raw, so that broken percent-encoding reaches the server as sent.
  const path = op.path.replace(/\{[^}]+\}/g, () => rawSegment(r.pathValues[i++ % r.pathValues.length]!));
  const search = new URLSearchParams(r.query).toString();
  const headers: Record<string, string> = {};
  if (r.who === "player" || r.who === "admin") headers.authorization = `Bearer ${tokens[r.who]}`;
  if (r.who === "garbage") headers.authorization = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
  const sent: Sent = { method: op.method, url: `${baseUrl()}${path}${search ? `?${search}` : ""}`, headers };
  if (op.method === "GET" || op.method === "DELETE" || r.body === undefined) return sent;
  switch (r.wire) {
    case "not-json":
      headers["content-type"] = "application/json";
      sent.body = `{"oops": ${JSON.stringify(r.body)}`;
      break;
    case "gzip-garbage":
      headers["content-type"] = "application/json";
      headers["content-encoding"] = "gzip";
      sent.body = new TextEncoder().encode(JSON.stringify(r.body));
      break;
    case "text-plain":
      headers["content-type"] = "text/plain";
      sent.body = JSON.stringify(r.body);
      break;
    case "binary":
      headers["content-type"] = binaryType!;
      sent.body = r.bytes;
      break;
    case "deep":
      headers["content-type"] = "application/json";
      sent.body = `{"a":${"[".repeat(5000)}${"]".repeat(5000)}}`;
      break;
    default:
      headers["content-type"] = "application/json";
      sent.body = JSON.stringify(r.body);
  }
  return sent;
}

/** A path segment as a client could put it on the wire: percent-escapes kept, anything else encoded. */
function rawSegment(value: string): string {
  if (/^(%[0-9A-Za-z]{0,2}|[\w.~-])*$/.test(value)) return value || "x";
  return encodeURIComponent(value) || "x";
}
