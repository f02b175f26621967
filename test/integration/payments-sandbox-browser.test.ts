import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { adminUser, api, newUser } from "../support/api";
import { balanceOf, checkout, newProduct } from "../support/payments";
import { inOnePass } from "../support/backend";


/**
 * The sandbox provider's checkout page, in a real browser: its script is a file of its
 * own under the server's Content-Security-Policy, and its buttons go through the signed
 * webhook, so only clicking them shows the whole purchase flow works.
 */
describe("sandbox checkout page in a real browser", function () {
  this.timeout(60_000);
  let browser: Browser | undefined;

  before(async function () {
    inOnePass(this, "embedded");
    browser = await launchBrowser(this);
  });

  after(async () => {
    await browser?.close();
  });

  /** A page that records every console error, page error and failed request. */
  async function open(url: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(msg.text());
    });
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("requestfailed", (req) => problems.push(`${req.url()}: ${req.failure()?.errorText}`));
    const response = await page.goto(url);
    assert.equal(response?.status(), 200);
    return { page, problems };
  }

  it("Pay credits the product's points; Fail on another checkout changes nothing; no script or CSP error", async () => {
    const admin = await adminUser();
    const product = await newProduct(admin.token, { name: "Bag of <b>rubies</b>", points: 75, price_cents: 250 });
    const buyer = await newUser("browser");

    const paid = await checkout(buyer.token, product.id);
    const { page, problems } = await open(paid.checkout_url);
    assert.equal(await page.locator("#product").textContent(), "Bag of <b>rubies</b>");
    assert.equal(await page.locator("#points").textContent(), "75");
    await page.getByRole("button", { name: "Pay" }).click();
    await page.locator('#checkout[data-state="paid"]').waitFor({ timeout: 15_000 });
    assert.match((await page.locator("#result").textContent()) ?? "", /Paid/);
    assert.equal(await page.locator("#status").textContent(), "paid");
    assert.equal(await balanceOf(buyer.token), 75);
    // Reloaded, a settled order offers no buttons to press.
    await page.reload();
    assert.equal(await page.getByRole("button", { name: "Pay" }).isDisabled(), true);
    assert.deepEqual(problems, []);
    await page.close();

    const failed = await checkout(buyer.token, product.id);
    const second = await open(failed.checkout_url);
    await second.page.getByRole("button", { name: "Fail" }).click();
    await second.page.locator('#checkout[data-state="failed"]').waitFor({ timeout: 15_000 });
    assert.equal(await second.page.locator("#status").textContent(), "failed");
    assert.equal(await balanceOf(buyer.token), 75);
    const ledger = await api("GET", "/api/v1/point/transactions", { token: buyer.token });
    assert.equal(ledger.body.total, 1);
    assert.deepEqual(second.problems, []);
    await second.page.close();
  });

  it("the page carries no secret and runs no inline script", async () => {
    const admin = await adminUser();
    const product = await newProduct(admin.token);
    const buyer = await newUser("browser");
    const order = await checkout(buyer.token, product.id);
    const res = await fetch(order.checkout_url);
    const html = await res.text();
    assert.doesNotMatch(html, /test-webhook-secret/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const unknown = await fetch(order.checkout_url.replace(order.order_id, "ord_00000000000000000000000000000000"));
    assert.equal(unknown.status, 404);
  });
});
