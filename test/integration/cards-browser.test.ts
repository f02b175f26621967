import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { api, newUser } from "../support/api";
import { baseUrl } from "../support/server";
import { inOnePass } from "../support/backend";

const WAIT = { timeout: 15_000 };

/** Markup that runs script if any page puts it in as HTML. */
const HOSTILE = `<img src=x onerror="window.__pwned=1">`;

describe("an imported card's text in the /demo page", function () {
  this.timeout(60_000);
  let browser: Browser | undefined;

  before(async function () {
    inOnePass(this, "embedded");
    browser = await launchBrowser(this);
  });

  after(async () => {
    await browser?.close();
  });

  it("shows a card's markup name as text in the character list and the world, and runs none of it", async () => {
    const user = await newUser("cardweb");
    const imported = await api("POST", "/api/v1/characters/import", { token: user.token, body: { spec: "chara_card_v2", data: { name: HOSTILE, description: HOSTILE } } });
    assert.equal(imported.status, 201);
    const page = await (await browser!.newContext()).newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    await page.goto(`${baseUrl()}/demo#token=${encodeURIComponent(user.token)}`);
    const button = page.locator(`#character-list button[data-character-id="${imported.body.id}"]`);
    await button.waitFor(WAIT);
    assert.equal(await button.textContent(), `Play ${HOSTILE} (adventurer)`);

    await button.click();
    const listed = page.locator(`#players li[data-character-id="${imported.body.id}"]`);
    await listed.waitFor(WAIT);
    assert.match((await listed.textContent()) ?? "", /^<img src=x onerror="window.__pwned=1">/);
    assert.equal(await page.locator("img").count(), 0, "no element was made from the name");
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(dialogs, []);
  });
});
