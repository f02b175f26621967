import assert from "node:assert/strict";
import { createLogger } from "../../infra/logger";
import { Database } from "../../infra/database";
import { CmsService } from "../../services/cms/cms";
import { server } from "../support/server";

/**
 * A config written by an older release cannot be produced through today's API (its
 * writes are always complete), so the row is stored here directly, in the database the
 * server uses (its own one on the embedded backend), and read back through the service.
 */
describe("CMS: a stored config of an older version", () => {
  let db: Database;
  let cms: CmsService;

  before(async function () {
    this.timeout(30_000);
    db = new Database({ DATABASE_URL: server().backend.env.DATABASE_URL, DATA_DIR: "./data" }, createLogger("silent"));
    cms = new CmsService(db);
    await db.start();
  });

  after(() => db?.stop());

  const storeRaw = async (config: unknown) => {
    const [row] = await db.manager.query(
      `INSERT INTO cms_config_versions (key, version, config, updated_by_username)
       SELECT 'home', COALESCE(max(version), 0) + 1, $1::jsonb, 'release-1 admin' FROM cms_config_versions WHERE key = 'home'
       RETURNING version`,
      [JSON.stringify(config)],
    );
    return row.version as number;
  };

  it("reads back with the fields added since filled with their defaults", async () => {
    const version = await storeRaw({ banners: [{ id: "launch", title: "Launch week" }], featured_character_ids: ["5f0c8a0e-3c1b-4a51-9a53-0a4f7d1f2b61"] });
    const read = await cms.get("home");
    assert.equal(read.version, version);
    assert.deepEqual(read.config, {
      banners: [{ id: "launch", title: "Launch week", subtitle: "", image_url: null, link_url: null, starts_at: null, ends_at: null }],
      featured_character_ids: ["5f0c8a0e-3c1b-4a51-9a53-0a4f7d1f2b61"],
      featured_story_ids: [],
      notice: { enabled: false, text: "", level: "info" },
    });
    assert.deepEqual(read.updated_by, { id: null, username: "release-1 admin" });
  });

  it("drops fields a later release removed, and a field that no longer validates reads as its default", async () => {
    await storeRaw({ retired: true, featured_story_ids: "all of them", notice: { text: "Old notice", colour: "red" } });
    const read = await cms.get("home");
    assert.deepEqual(read.config, {
      banners: [],
      featured_character_ids: [],
      featured_story_ids: [],
      notice: { enabled: false, text: "Old notice", level: "info" },
    });
  });

  it("a stored value that is not an object at all reads as the defaults", async () => {
    await storeRaw(["not", "an", "object"]);
    const read = await cms.get("home");
    assert.deepEqual(read.config, { banners: [], featured_character_ids: [], featured_story_ids: [], notice: { enabled: false, text: "", level: "info" } });
  });
});
