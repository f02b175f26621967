import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Room } from "@colyseus/sdk";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { api, newUser } from "../support/api";
import { startServerProcess, type ServerProcess } from "../support/process";
import { baseUrl, sdk } from "../support/server";
import { inOnePass } from "../support/backend";

const WAIT = { timeout: 15_000 };
const PRODUCT_ROOMS = ["dm_channel", "inbox", "world_zone"];

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

/** Every error a page reports: console errors (CSP refusals among them), uncaught exceptions, failed requests. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  page.on("requestfailed", (req) => problems.push(`${req.url()}: ${req.failure()?.errorText}`));
  return problems;
}

describe("Colyseus playground and monitor, outside production without credentials", () => {
  const open: Room[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((room) => room.leave().catch(() => undefined)));
  });

  it("/playground/rooms lists the product's room types", async () => {
    const res = await api("GET", "/playground/rooms");
    assert.equal(res.status, 200);
    for (const name of PRODUCT_ROOMS) assert.ok(res.body.rooms.includes(name), `${name} in ${res.body.rooms}`);
  });

  it("/monitor/api lists a room a client holds open, with its client count", async () => {
    const user = await newUser("mon");
    const room = await sdk(user.token).joinOrCreate("inbox");
    open.push(room);
    const res = await api("GET", "/monitor/api");
    assert.equal(res.status, 200);
    const listed = res.body.rooms.find((r: { roomId: string }) => r.roomId === room.roomId);
    assert.equal(listed?.name, "inbox");
    assert.equal(listed?.clients, 1);
  });

  it("relaxes the Content-Security-Policy for the playground's editor worker on /playground only", async () => {
    const playground = (await fetch(`${baseUrl()}/playground/`)).headers.get("content-security-policy") ?? "";
    assert.match(playground, /worker-src 'self' blob:/);
    assert.match(playground, /script-src 'self' data:/);
    for (const path of ["/monitor/", "/docs/", "/demo", "/healthz"]) {
      const csp = (await fetch(`${baseUrl()}${path}`)).headers.get("content-security-policy") ?? "";
      assert.match(csp, /script-src 'self';/, path);
      assert.doesNotMatch(csp, /worker-src|script-src[^;]*data:/, path);
    }
  });

  it("serves the monitor's page without its Google Fonts link, which the policy would refuse", async () => {
    const res = await fetch(`${baseUrl()}/monitor/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.doesNotMatch(html, /fonts\.googleapis\.com/);
    assert.match(html, /<script type="module" crossorigin src="\.\/assets\/index-[\w-]+\.js"><\/script>/);
  });

  it("/monitor redirects to /monitor/, where the page's relative assets resolve", async () => {
    const res = await fetch(`${baseUrl()}/monitor?x=1`, { redirect: "manual" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "/monitor/?x=1");
  });

  it("an asset neither tool has is the API's 404 problem document", async () => {
    for (const path of ["/playground/assets/nothing.js", "/monitor/assets/..%2f..%2fpackage.json"]) {
      const res = await api("GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body.code, "not_found", path);
    }
  });
});

describe("Colyseus playground and monitor in a real browser", function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  const open: Room[] = [];

  before(async function () {
    inOnePass(this, "embedded");
    browser = await launchBrowser(this);
  });

  after(async () => {
    await Promise.all(open.splice(0).map((room) => room.leave().catch(() => undefined)));
    await browser?.close();
  });

  it("the playground lists world_zone, inbox and dm_channel, joins an inbox with a pasted access token, and sends it a message by hand", async () => {
    const user = await newUser("play");
    const page = await browser!.newPage();
    const problems = watchProblems(page);
    await page.goto(`${baseUrl()}/playground/`);

    const roomType = page.locator("select:visible", { has: page.locator("option", { hasText: "world_zone" }) });
    await roomType.waitFor(WAIT);
    const types = await roomType.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    for (const name of PRODUCT_ROOMS) assert.ok(types.includes(name), `${name} in ${types}`);

    await roomType.selectOption("inbox");
    await page.getByRole("button", { name: /Auth Token/ }).click();
    await page.locator("input[name=token]:visible").fill(user.token);
    await page.getByRole("button", { name: /^Join or Create/ }).click();
    // The connection's state, as the playground shows it: the inbox of this user.
    await page.getByText(user.id).filter({ visible: true }).first().waitFor(WAIT);
    assert.ok(await page.getByText("unread_total").filter({ visible: true }).first().isVisible());

    // A message sent by hand: the room's own message types are offered, and its answer is shown.
    const messageType = page.locator("select:visible", { has: page.locator("option", { hasText: /^dm$/ }) });
    await messageType.selectOption("dm");
    assert.equal(await page.getByText("validation_failed").filter({ visible: true }).count(), 0);
    await page.getByRole("button", { name: /^Send/ }).click();
    // The empty payload is no DM: the inbox answers error validation_failed, and the connection stays.
    await page.getByText("validation_failed").filter({ visible: true }).first().waitFor(WAIT);

    assert.deepEqual(problems, []);
    await page.close();
  });

  it("the playground shows a refused join, and the page keeps working", async () => {
    const page = await browser!.newPage();
    const problems = watchProblems(page);
    await page.goto(`${baseUrl()}/playground/`);
    const roomType = page.locator("select:visible", { has: page.locator("option", { hasText: "world_zone" }) });
    await roomType.waitFor(WAIT);
    await roomType.selectOption("inbox");
    await page.getByRole("button", { name: /^Join or Create/ }).click();
    // No token: the matchmaker answers 401 unauthenticated, which the page reports.
    await page.getByText(/unauthenticated/).first().waitFor(WAIT);
    // The browser itself logs the refused request; nothing else may fail.
    assert.deepEqual(problems.filter((p) => !/status of 401/.test(p)), []);
    await page.close();
  });

  it("the monitor lists a room a test client holds open, and inspecting it shows that client", async () => {
    const user = await newUser("monb");
    const room = await sdk(user.token).joinOrCreate("inbox");
    open.push(room);
    const page = await browser!.newPage();
    const problems = watchProblems(page);
    await page.goto(`${baseUrl()}/monitor`);

    const row = page.locator('[role="row"], tr', { hasText: room.roomId });
    await row.waitFor(WAIT);
    assert.match(await row.innerText(), /inbox/);
    await row.getByText(/inspect/i).click();
    await page.getByText(`Room ${room.roomId}`).waitFor(WAIT);
    await page.getByText(room.sessionId).waitFor(WAIT);

    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe("Colyseus tools in production, and the start log", function () {
  this.timeout(120_000);
  const USER = "ops";
  const PASSWORD = "monitor-secret-0123";
  let production: ServerProcess | undefined;
  let development: ServerProcess | undefined;

  before(async function () {
    // Spawned processes run on embedded defaults whatever the suite's backend: once is enough.
    if (process.env.TEST_DATABASE_URL) this.skip();
    [production, development] = await Promise.all([
      startServerProcess({
        NODE_ENV: "production",
        PAYMENT_WEBHOOK_SECRET: "w".repeat(40),
        MONITOR_USER: USER,
        MONITOR_PASSWORD: PASSWORD,
        PLAYGROUND_ENABLED: "true",
        LOG_LEVEL: "info",
      }),
      // The default log level, as `npm start` has it.
      startServerProcess({ LOG_LEVEL: "info" }),
    ]);
  });

  after(async () => {
    await Promise.all([production?.stop(), development?.stop()]);
  });

  it("with MONITOR_USER and MONITOR_PASSWORD, the monitor answers 401 with a Basic challenge without them", async () => {
    const assets = path.join(path.dirname(require.resolve("@colyseus/monitor")), "static", "assets");
    const asset = `/monitor/assets/${fs.readdirSync(assets).find((f) => f.endsWith(".css"))}`;
    for (const at of ["/monitor/", "/monitor/api", "/monitor/api/room?roomId=x", asset]) {
      const res = await fetch(`${production!.url}${at}`);
      assert.equal(res.status, 401, at);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="Tavern tools"/, at);
    }
  });

  it("a wrong user or password is 401 as well; the right ones open the monitor", async () => {
    const url = `${production!.url}/monitor/api`;
    assert.equal((await fetch(url, { headers: basic(USER, "wrong-password-0") })).status, 401);
    assert.equal((await fetch(url, { headers: basic("someone", PASSWORD) })).status, 401);
    assert.equal((await fetch(url, { headers: basic(USER, `${PASSWORD}x`) })).status, 401);
    const ok = await fetch(url, { headers: basic(USER, PASSWORD) });
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(((await ok.json()) as { rooms: unknown[] }).rooms));
    const page = await fetch(`${production!.url}/monitor/`, { headers: basic(USER, PASSWORD) });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
  });

  it("the playground switched on in production sits behind the same credentials", async () => {
    assert.equal((await fetch(`${production!.url}/playground/rooms`)).status, 401);
    assert.equal((await fetch(`${production!.url}/playground/`)).status, 401);
    const rooms = await fetch(`${production!.url}/playground/rooms`, { headers: basic(USER, PASSWORD) });
    assert.equal(rooms.status, 200);
    assert.ok(((await rooms.json()) as { rooms: string[] }).rooms.includes("world_zone"));
  });

  it("logs at start where it listens and where the enabled pages are, at the default level", () => {
    const line = listeningLine(development!);
    const url = `http://localhost:${development!.port}`;
    assert.deepEqual(
      { url: line.url, docs: line.docs, demo: line.demo, playground: line.playground, monitor: line.monitor },
      { url, docs: `${url}/docs`, demo: `${url}/demo`, playground: `${url}/playground`, monitor: `${url}/monitor` },
    );
    assert.match(line.msg, new RegExp(`^listening on ${url}; docs ${url}/docs, demo ${url}/demo, playground ${url}/playground, monitor ${url}/monitor$`));
  });

  it("the start log names only the pages that are on (production: no /demo unless set)", () => {
    const line = listeningLine(production!);
    const url = `http://localhost:${production!.port}`;
    assert.equal(line.url, url);
    assert.equal(line.monitor, `${url}/monitor`);
    assert.equal(line.playground, `${url}/playground`);
    assert.equal(line.demo, undefined);
    assert.doesNotMatch(line.msg, /\/demo/);
  });
});

function listeningLine(server: ServerProcess): Record<string, string> {
  const lines = server
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, string>);
  const line = lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("listening on "));
  assert.ok(line, `no "listening on" line in:\n${server.output()}`);
  return line;
}
