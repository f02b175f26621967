import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const SCOPE = "services/sites/scope.ts";
/** The entity's own file and the entity list TypeORM reads; neither queries. */
const ALLOWED = new Set([SCOPE, "entities/interaction.entity.ts", "entities/index.ts"]);
const SKIPPED_DIRS = new Set(["node_modules", ".git", "data", "test", "migrations"]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) sourceFiles(path.join(dir, entry.name), out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      out.push(path.relative(ROOT, path.join(dir, entry.name)));
    }
  }
  return out;
}

const ENTITY_IMPORT = /import\s+(type\s+)?(\*\s+as\s+\w+|\{([^}]*)\})\s+from\s+["'][^"']*interaction\.entity["']/g;
const TABLE_SQL = /\b(from|join|into|update|table)\s+"?(interactions|interaction_audit)\b/i;

/** The names a file imports as values (not types) from interaction.entity; `*` for a namespace import. */
function valueImports(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(ENTITY_IMPORT)) {
    if (match[1]) continue;
    if (match[2]!.startsWith("*")) names.push("*");
    for (const name of (match[3] ?? "").split(",").map((n) => n.trim())) {
      if (name && !name.startsWith("type ")) names.push(name.split(/\s+as\s+/)[0]!);
    }
  }
  return names;
}

describe("site scoping", () => {
  it("only services/sites/scope.ts reaches the interaction tables, so no query can skip the site filter", () => {
    const files = sourceFiles(ROOT);
    assert.ok(files.includes(SCOPE), "the scan sees the scope module");
    const offenders: string[] = [];
    for (const file of files) {
      if (ALLOWED.has(file)) continue;
      const source = fs.readFileSync(path.join(ROOT, file), "utf8");
      const entities = valueImports(source).filter((n) => n === "*" || n === "Interaction" || n === "InteractionAudit");
      if (entities.length > 0) offenders.push(`${file} imports ${entities.join(", ")}`);
      if (TABLE_SQL.test(source)) offenders.push(`${file} names an interaction table in SQL`);
    }
    assert.deepEqual(offenders, []);
  });

  it("the check itself sees value imports and raw SQL, and lets type imports pass", () => {
    assert.deepEqual(valueImports(`import { Interaction, INTERACTION_TYPES } from "../../entities/interaction.entity";`), ["Interaction", "INTERACTION_TYPES"]);
    assert.deepEqual(valueImports(`import { type Interaction, AUDIT_ACTIONS } from "../entities/interaction.entity";`), ["AUDIT_ACTIONS"]);
    assert.deepEqual(valueImports(`import type { InteractionAudit } from "./interaction.entity";`), []);
    assert.deepEqual(valueImports(`import * as e from "./interaction.entity";`), ["*"]);
    assert.ok(TABLE_SQL.test(`m.query("SELECT * FROM interactions WHERE id = $1")`));
    assert.ok(TABLE_SQL.test(`DELETE FROM "interaction_audit"`));
    assert.ok(!TABLE_SQL.test(`// staff record interactions from a site`));
  });
});
