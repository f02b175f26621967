import fc from "fast-check";

/**
 * Arbitraries for fuzzing the API from its own OpenAPI document: inputs shaped like what
 * a route expects (so they get past the first check) and then broken in one way each.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

/** The fuzz seed: FUZZ_SEED replays a failure; otherwise a fresh one, printed by the suite. */
export const fuzzSeed = () => (process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31));

/** Runs per operation: FUZZ_RUNS, bounded so the suite stays inside CI's budget. */
export const fuzzRuns = () => Number(process.env.FUZZ_RUNS ?? 12);

/** Strings a careless edge chokes on. */
export const nastyString = fc.oneof(
  fc.constant("a\u0000b"),
  fc.constant("\u0000"),
  fc.constant("x".repeat(20_000)),
  fc.constant("%ff%00%"),
  fc.constant("' OR 1=1; --"),
  fc.constant("../../etc/passwd"),
  fc.constant("\ud800"),
  fc.constant("<script>alert(1)</script>"),
  fc.constant("9".repeat(400)),
  fc.string({ unit: "binary", maxLength: 64 }),
);

/** A value nested `depth` levels deep. */
export const deeplyNested = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth));

const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), nastyString, fc.constant(null), fc.constant(deeplyNested(60)));

export class SchemaArbitraries {
  constructor(private readonly components: Record<string, JsonSchema>) {}

  private resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let i = 0; s.$ref && i < 10; i++) s = this.components[s.$ref.split("/").pop()!] ?? {};
    return s;
  }

  /** Values that satisfy the schema's shape (types, enums, formats, bounds). */
  valid(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (depth > 6) return fc.constant(null);
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives?.length) return fc.oneof(...alternatives.map((a) => this.valid(a, depth + 1)));
    if (s.allOf?.length) return this.valid(s.allOf[0]!, depth + 1);
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
    switch (type) {
      case "object": {
        const props = Object.entries(s.properties ?? {});
        const required = new Set(s.required ?? []);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, value] of props) record[key] = this.valid(value, depth + 1);
        return fc.record(record, { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) });
      }
      case "array":
        return fc.array(s.items ? this.valid(s.items, depth + 1) : fc.string(), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) });
      case "integer":
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
      case "number":
        return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
      case "boolean":
        return fc.boolean();
      case "string":
        return this.validString(s);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  private validString(s: JsonSchema): fc.Arbitrary<string> {
    switch (s.format) {
      case "uuid":
        return fc.uuid();
      case "email":
        return fc.emailAddress();
      case "date-time":
        return fc.date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1), noInvalidDate: true }).map((d) => d.toISOString());
      case "uri":
        return fc.webUrl();
    }
    const min = s.minLength ?? 0;
    return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(s.maxLength ?? 24, 24)) });
  }

  /** A value shaped like the schema, then broken in one place: a wrong type, a nasty string, an unknown field, or depth. */
  broken(schema: JsonSchema): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    return fc.oneof(
      this.valid(s),
      anyJson,
      fc.tuple(this.valid(s), fc.string({ minLength: 1, maxLength: 12 }), anyJson).map(([value, key, junk]) => mutate(value, key, junk)),
      fc.tuple(this.valid(s), nastyString).map(([value, nasty]) => replaceFirstString(value, nasty)),
    );
  }
}

/** Puts `junk` at `key`: an unknown field of an object, or a wrong value for a known one. */
function mutate(value: unknown, key: string, junk: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const target = keys.length > 0 && key.length % 2 === 0 ? keys[key.length % keys.length]! : `x_${key}`;
    return { ...value, [target]: junk };
  }
  return junk;
}

function replaceFirstString(value: unknown, nasty: string): unknown {
  if (typeof value === "string") return nasty;
  if (Array.isArray(value)) return value.length ? [replaceFirstString(value[0], nasty), ...value.slice(1)] : [nasty];
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    const index = entries.findIndex(([, v]) => typeof v === "string");
    if (index < 0) return { ...value, [nasty.slice(0, 20)]: nasty };
    entries[index] = [entries[index]![0], nasty];
    return Object.fromEntries(entries);
  }
  return nasty;
}

/** What must never appear in a response body: stack frames, SQL, driver or library internals. */
export const INTERNALS = /(\bat [^\s()]+ \(|\.ts:\d+:\d+|\.js:\d+:\d+|node_modules|QueryFailedError|TypeORMError|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b.+\bSET\b|duplicate key value|violates|syntax error at)/i;
