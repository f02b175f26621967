import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import { pgliteSerializers } from "../../infra/pglite-pool";
import { PreparedStatements } from "../../infra/pglite-statements";

describe("prepared statements on PGlite", () => {
  let db: PGlite;
  let statements: PreparedStatements;

  before(() => {
    db = new PGlite({ serializers: pgliteSerializers });
  });

  after(() => db.close());

  beforeEach(async () => {
    await db.exec("DEALLOCATE ALL; DROP TABLE IF EXISTS item");
    await db.exec("CREATE TABLE item (id uuid PRIMARY KEY, name text UNIQUE NOT NULL, tags text[], meta jsonb, on_sale boolean, at timestamptz)");
    statements = new PreparedStatements(db, 3);
  });

  const insert = (id: string, name: string) =>
    statements.query("INSERT INTO item (id, name, tags, meta, on_sale, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *", [
      id,
      name,
      ["a", "b,c"],
      { depth: { n: 1 } },
      true,
      new Date("2026-11-30T12:00:00Z"),
    ]);

  it("a statement run again answers the rows its first run did, each value in its type", async () => {
    await insert("00000000-0000-4000-8000-000000000001", "first");
    await insert("00000000-0000-4000-8000-000000000002", "second");
    const byName = "SELECT * FROM item WHERE name = $1";
    const first = await statements.query(byName, ["first"]);
    const again = await statements.query(byName, ["first"]);
    assert.deepEqual(again.rows, first.rows);
    assert.deepEqual(first.rows[0], {
      id: "00000000-0000-4000-8000-000000000001",
      name: "first",
      tags: ["a", "b,c"],
      meta: { depth: { n: 1 } },
      on_sale: true,
      at: new Date("2026-11-30T12:00:00Z"),
    });
    assert.equal((await statements.query(byName, ["second"])).rows[0].id, "00000000-0000-4000-8000-000000000002");
    assert.equal((await statements.query("UPDATE item SET on_sale = $1 WHERE on_sale", [false])).affectedRows, 2);
  });

  it("a table that changes shape between two runs of a statement is read in its new shape", async () => {
    await insert("00000000-0000-4000-8000-000000000001", "first");
    const all = "SELECT * FROM item WHERE name = $1";
    assert.equal("rank" in (await statements.query(all, ["first"])).rows[0], false);
    await db.exec("ALTER TABLE item ADD COLUMN rank int NOT NULL DEFAULT 7");
    await statements.afterExec("ALTER TABLE item ADD COLUMN rank int NOT NULL DEFAULT 7");
    assert.equal((await statements.query(all, ["first"])).rows[0].rank, 7);
  });

  it("a statement first prepared in a transaction that rolled back still runs after it", async () => {
    await db.exec("BEGIN");
    await insert("00000000-0000-4000-8000-000000000001", "first");
    await db.exec("ROLLBACK");
    await insert("00000000-0000-4000-8000-000000000001", "first");
    assert.equal((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM item")).rows[0]!.n, 1);
  });

  it("a failing run keeps the SQLSTATE and constraint a caller tells errors by, and the session works on", async () => {
    await insert("00000000-0000-4000-8000-000000000001", "first");
    await assert.rejects(insert("00000000-0000-4000-8000-000000000002", "first"), { code: "23505", constraint: "item_name_key" });
    await assert.rejects(statements.query("SELEC $1", [1]), { code: "42601" });
    await assert.rejects(statements.query("SELEC $1", [1]), { code: "42601" });
    await assert.rejects(statements.query("SELECT * FROM item WHERE id = $1", ["not a uuid"]), { code: "22P02" });
    assert.equal((await statements.query("SELECT name FROM item WHERE id = $1", ["00000000-0000-4000-8000-000000000001"])).rows[0].name, "first");
  });

  it("more distinct statements than it keeps: the least recently run are closed, and every one still runs", async () => {
    for (let round = 0; round < 2; round++) {
      for (let n = 1; n <= 5; n++) assert.equal((await statements.query(`SELECT $1::int + ${n} AS sum`, [1])).rows[0].sum, 1 + n);
    }
    assert.equal((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements")).rows[0]!.n, 3);
  });

  it("a statement sent before the database has finished starting waits for it", async () => {
    const starting = new PGlite();
    try {
      assert.equal((await new PreparedStatements(starting).query("SELECT $1::int + 1 AS n", [41])).rows[0].n, 42);
    } finally {
      await starting.close();
    }
  });
});
