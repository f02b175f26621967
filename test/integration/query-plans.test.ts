import assert from "node:assert/strict";
import { Client } from "pg";
import { PAIR_HISTORY_SQL } from "../../services/messages";
import { PUBLIC_TAG_CONDITION } from "../../services/characters";
import { STORY_TAG_CONDITION } from "../../services/stories/stories";
import { server } from "../support/server";

/**
 * The hot queries are written so that Postgres can use their indexes. Planners weigh
 * table sizes, so the test fills the tables to a size where a scan would lose.
 */
describe("query plans on Postgres", function () {
  this.timeout(120_000);
  let pg: Client;

  before(async function () {
    const url = server().backend.env.DATABASE_URL;
    if (!url?.startsWith("postgres")) this.skip();
    pg = new Client({ connectionString: url });
    await pg.connect();
    await pg.query(`INSERT INTO users (username, email, password_hash)
      SELECT 'plan_' || i, 'plan_' || i || '@example.test', 'x' FROM generate_series(1, 200) i`);
    await pg.query(`INSERT INTO messages (sender_id, recipient_id, content)
      SELECT a.id, b.id, 'hello ' || g FROM
        (SELECT id, row_number() OVER () AS n FROM users WHERE username LIKE 'plan\\_%') a
        JOIN (SELECT id, row_number() OVER () AS n FROM users WHERE username LIKE 'plan\\_%') b ON b.n = (a.n % 200) + 1
        CROSS JOIN generate_series(1, 100) g`);
    await pg.query(`INSERT INTO characters (owner_id, name, class, zone_id, is_public, tags)
      SELECT (SELECT id FROM users WHERE username = 'plan_1'), 'Hero ' || i, 'adventurer', 'starter', true, ARRAY['tag' || (i % 500)]
      FROM generate_series(1, 20000) i`);
    await pg.query(`INSERT INTO stories (owner_id, title, content, tags, is_public)
      SELECT (SELECT id FROM users WHERE username = 'plan_1'), 'Tale ' || i, 'Once.', ARRAY['tag' || (i % 500)], true
      FROM generate_series(1, 20000) i`);
    await pg.query("ANALYZE users; ANALYZE messages; ANALYZE characters; ANALYZE stories");
  });

  after(async () => {
    await pg?.end();
  });

  const plan = async (sql: string, params: unknown[]) => JSON.stringify((await pg.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)).rows[0]["QUERY PLAN"]);

  it("a pair's conversation is read through the messages_pair index", async () => {
    const { rows } = await pg.query(`SELECT id FROM users WHERE username IN ('plan_7', 'plan_8') ORDER BY username`);
    const text = await plan(PAIR_HISTORY_SQL, [rows[0].id, rows[1].id, 50, 0]);
    assert.match(text, /"Index Name":"messages_pair"/, text);
  });

  it("the public characters' tag filter is answered from the GIN index on tags", async () => {
    const sql = `SELECT c.id FROM characters c WHERE c.is_public AND ${PUBLIC_TAG_CONDITION.replace(":tag", "$1")}`;
    const text = await plan(sql, ["tag42"]);
    assert.match(text, /"Index Name":"characters_tags"/, text);
  });

  it("the stories' tag filter is answered from the GIN index on tags", async () => {
    const sql = `SELECT s.id FROM stories s WHERE s.deleted_at IS NULL AND s.is_public AND ${STORY_TAG_CONDITION.replace(":tag", "$1")}`;
    const text = await plan(sql, ["tag42"]);
    assert.match(text, /"Index Name":"stories_tags"/, text);
  });
});
