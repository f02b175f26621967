import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { baseUrl } from "../support/server";
import { inOnePass } from "../support/backend";


/**
 * /docs is the one page the server renders, and only a browser shows whether it works:
 * the HTML arriving says nothing about scripts refused by the Content-Security-Policy
 * or assets that fail to load.
 */
describe("API reference in a real browser", function () {
  this.timeout(60_000);
  let browser: Browser | undefined;

  before(async function () {
    inOnePass(this, "embedded");
    browser = await launchBrowser(this);
  });

  after(async () => {
    await browser?.close();
  });

  it("/docs renders every operation of the OpenAPI document, with no script or CSP error", async () => {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(msg.text());
    });
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("requestfailed", (req) => problems.push(`${req.url()}: ${req.failure()?.errorText}`));

    const response = await page.goto(`${baseUrl()}/docs/`);
    assert.equal(response?.status(), 200);
    await page.waitForSelector(".swagger-ui .opblock", { timeout: 20_000 });

    const spec = (await (await fetch(`${baseUrl()}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(spec.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    assert.equal(await page.locator(".swagger-ui .opblock").count(), operations);
    assert.ok(await page.getByText("/api/v1/auth/login", { exact: true }).first().isVisible());
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("expanding an operation shows its request body schema", async () => {
    const page = await browser!.newPage();
    await page.goto(`${baseUrl()}/docs/`);
    const login = page.locator(".opblock-post", { hasText: "/api/v1/auth/login" }).first();
    await login.locator(".opblock-summary").click();
    // swagger-ui fills the body in after it opens: wait for the schema, not the box.
    const field = login.locator(".opblock-body").getByText(/"username"/).first();
    await field.waitFor({ timeout: 20_000 });
    assert.ok(await field.isVisible());
    await page.close();
  });
});
