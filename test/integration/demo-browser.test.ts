import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { api, newUser, uniqueName, type TestUser } from "../support/api";
import { startServerProcess } from "../support/process";
import { baseUrl, server } from "../support/server";
import { startTcpProxy } from "../support/tcp-proxy";
import { inOnePass } from "../support/backend";

/** A path (docs/demo.png in the README) to save a screenshot of two players to, as one more test. */
const SCREENSHOT = process.env.DEMO_SCREENSHOT;
/** Every wait in the page is for a condition; this bounds each one. */
const WAIT = { timeout: 15_000 };
const PASSWORD = "correct-horse-1";

describe("/demo is served by this server", () => {
  it("answers the page, its script and its style from this origin, with the security policy and no inline script", async () => {
    const page = await fetch(`${baseUrl()}/demo`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script defer src="\/demo\/app\.js"><\/script>/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
    assert.doesNotMatch(html, /\son[a-z]+=/i, "no inline event handler");
    assert.match(html, /data-max-step="5"/, "the step clamp the prediction respects");
    for (const [asset, type] of [["app.js", /^text\/javascript/], ["app.css", /^text\/css/]] as const) {
      const res = await fetch(`${baseUrl()}/demo/${asset}`);
      assert.equal(res.status, 200, asset);
      assert.match(res.headers.get("content-type") ?? "", type);
      assert.ok((await res.text()).length > 100, `${asset} has content`);
    }
  });

  it("answers 404 problem documents for assets it does not have", async () => {
    const traversal = await api("GET", "/demo/..%2fconfig.ts");
    assert.equal(traversal.status, 404);
    const missing = await api("GET", "/demo/app.js.map");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, "not_found");
  });

  it("is off in production by default: /demo then answers 404 not_found", async function () {
    this.timeout(120_000);
    // The spawned process runs on embedded defaults whatever the suite's backend: once is enough.
    if (process.env.TEST_DATABASE_URL) this.skip();
    const production = await startServerProcess({ NODE_ENV: "production", PAYMENT_WEBHOOK_SECRET: "w".repeat(40) });
    try {
      const res = await api("GET", "/demo", { base: production.url });
      assert.equal(res.status, 404);
      assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
      assert.equal(res.body.code, "not_found");
      assert.equal((await api("GET", "/demo/app.js", { base: production.url })).status, 404);
    } finally {
      await production.stop();
    }
  });
});

/**
 * The browser client through every layer: two users in two browser contexts, one
 * signed in through the forms, the other through a deep link and a TCP proxy that
 * the test can take down, as a network drop.
 */
describe("/demo in a real browser", function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  const contexts: BrowserContext[] = [];
  /** Console errors, page errors and failed requests of every page, emptied after each test. */
  let problems: string[] = [];

  interface Player {
    user: TestUser;
    characterId: string;
    page: Page;
  }
  let aria: Player;
  let borin: Player;

  before(async function () {
    inOnePass(this, "embedded");
    this.timeout(90_000);
    browser = await launchBrowser(this);
    proxy = await startTcpProxy({ host: "127.0.0.1", port: server().port });
    aria = await registerThroughForms("Aria");
    borin = await deepLinked("Borin", `http://127.0.0.1:${proxy.port}`);
  });

  /** A 401 the test provoked is logged by the browser as a console error: the right answer, not a fault of the page. */
  const forgiveRefusals = () => {
    problems = problems.filter((p) => !p.includes("status of 401"));
  };

  afterEach(() => {
    const seen = problems;
    problems = [];
    assert.deepEqual(seen, [], "no console errors, page errors or failed requests");
  });

  after(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await proxy?.close();
  });

  /** A page in a browser context of its own; `fakeClock` gives it a clock the test moves. */
  async function openPage(url: string, fakeClock = false): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    if (fakeClock) await page.clock.install();
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page: ${err.message}`));
    page.on("requestfailed", (req) => problems.push(`request: ${req.url()} ${req.failure()?.errorText}`));
    const response = await page.goto(url);
    assert.equal(response?.status(), 200);
    return page;
  }

  /** A new user who registers, signs in and creates a character through the page's own forms. */
  async function registerThroughForms(name: string): Promise<Player> {
    const page = await openPage(`${baseUrl()}/demo`);
    const username = uniqueName("demo");
    const email = `${username}@example.test`;
    await page.getByLabel("Username", { exact: true }).fill(username);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.locator("#register-form").getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByLabel("New character's name").fill(name);
    await page.getByRole("button", { name: "Create and play" }).click();
    const self = page.locator("#players li[data-self]");
    await self.waitFor(WAIT);
    const characterId = (await self.getAttribute("data-character-id"))!;
    // A session of the test's own, for REST checks; the page keeps its own.
    const login = await api("POST", "/api/v1/auth/login", { body: { username, password: PASSWORD } });
    assert.equal(login.status, 200);
    const user = { id: login.body.user.id, username, email, password: PASSWORD, token: login.body.access_token, refreshToken: login.body.refresh_token };
    return { user, characterId, page };
  }

  /** A new user whose page opens straight into the world through `#token=…&character=…`. */
  async function deepLinked(name: string, origin = baseUrl(), user?: TestUser, characterId?: string): Promise<Player> {
    user ??= await newUser("demo");
    if (!characterId) {
      const created = await api("POST", "/api/v1/characters", { token: user.token, body: { name } });
      assert.equal(created.status, 201);
      characterId = created.body.id as string;
    }
    const page = await openPage(`${origin}/demo#token=${encodeURIComponent(user.token)}&character=${characterId}`);
    await playerIn(page, characterId).waitFor(WAIT);
    return { user, characterId, page };
  }

  const playerIn = (page: Page, characterId: string) => page.locator(`#players li[data-character-id="${characterId}"]`);

  const xOf = async (page: Page, characterId: string) => Number(await playerIn(page, characterId).getAttribute("data-x"));

  /** Waits until `page` lists `characterId` with data-x above `min`. */
  const waitForX = (page: Page, characterId: string, min: number) =>
    page.waitForFunction(
      ([id, x]) => Number(document.querySelector<HTMLElement>(`#players li[data-character-id="${id}"]`)?.dataset.x) > x,
      [characterId, min] as const,
      WAIT,
    );

  /** Holds the right arrow on `mover`'s page until `watcher` sees it more than `distance` further right. */
  async function walkRight(mover: Player, watcher: Player, distance: number) {
    const from = await xOf(watcher.page, mover.characterId);
    await mover.page.locator("#world-canvas").focus();
    await mover.page.keyboard.down("ArrowRight");
    try {
      await waitForX(watcher.page, mover.characterId, from + distance);
    } finally {
      await mover.page.keyboard.up("ArrowRight");
    }
  }

  async function sendDm(from: Player, to: Player, text: string) {
    await from.page.getByLabel("To", { exact: true }).fill(to.user.username);
    await from.page.getByLabel("Message", { exact: true }).fill(text);
    await from.page.locator("#dm-form").getByRole("button", { name: "Send" }).click();
  }

  const conversationWith = (page: Page, userId: string) => page.locator(`#conversations li[data-user-id="${userId}"]`);

  it("lists each player on the other's page, and the address bar no longer holds the deep link's token", async () => {
    await playerIn(aria.page, borin.characterId).waitFor(WAIT);
    await playerIn(borin.page, aria.characterId).waitFor(WAIT);
    assert.equal(await playerIn(aria.page, aria.characterId).getAttribute("data-self"), "true");
    assert.match((await playerIn(aria.page, borin.characterId).textContent()) ?? "", /^Borin at /);
    assert.equal(new URL(borin.page.url()).hash, "");
    assert.equal(await borin.page.locator("#connection").getAttribute("data-state"), "connected");
  });

  it("holding the right arrow on one page moves that player right on the other page, and its own list follows", async () => {
    const before = await xOf(aria.page, aria.characterId);
    await walkRight(aria, borin, 20);
    await waitForX(aria.page, aria.characterId, before + 20);
    const shown = await xOf(borin.page, aria.characterId);
    assert.ok(shown <= 1000, `inside the zone: ${shown}`);
  });

  it("W, A, S and D move the player as the arrows do", async () => {
    const player = await deepLinked("Wasd");
    const at = async (axis: "x" | "y") => Number(await playerIn(player.page, player.characterId).getAttribute(`data-${axis}`));
    /** Holds `code` until the page shows the player's `axis` moved past `from` by 10 in `sign`'s direction. */
    const hold = async (code: string, axis: "x" | "y", sign: 1 | -1) => {
      const from = await at(axis);
      await player.page.locator("#world-canvas").focus();
      await player.page.keyboard.down(code);
      try {
        await player.page.waitForFunction(
          ([id, a, start, dir]) => {
            const shown = Number(document.querySelector<HTMLElement>(`#players li[data-character-id="${id}"]`)?.dataset[a as "x" | "y"]);
            return (shown - start) * dir > 10;
          },
          [player.characterId, axis, from, sign] as const,
          WAIT,
        );
      } finally {
        await player.page.keyboard.up(code);
      }
    };
    // Down and right first: a new character stands at (0, 0), where up and left are the zone's edge.
    await hold("KeyS", "y", 1);
    await hold("KeyD", "x", 1);
    await hold("KeyW", "y", -1);
    await hold("KeyA", "x", -1);
  });

  it("the sign-in form shows a wrong password's refusal, then signs in, lists the account's characters and plays the one picked", async () => {
    const user = await newUser("demo");
    const created = await api("POST", "/api/v1/characters", { token: user.token, body: { name: "Cael" } });
    assert.equal(created.status, 201);
    const page = await openPage(`${baseUrl()}/demo`);
    await page.getByLabel("Username or email").fill(user.username);
    await page.locator("#login-form").getByLabel("Password").fill("not-the-password-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForFunction(() => (document.querySelector("#auth-error")?.textContent ?? "").length > 0, undefined, WAIT);
    assert.match((await page.locator("#auth-error").textContent()) ?? "", /username or password is wrong/);
    assert.equal(await page.locator("#auth-view").isVisible(), true);

    await page.locator("#login-form").getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: /^Play Cael / }).click();
    await playerIn(page, created.body.id).waitFor(WAIT);
    assert.equal(await playerIn(page, created.body.id).getAttribute("data-self"), "true");
    forgiveRefusals();
  });

  it("a line said on one page appears in the other page's chat log", async () => {
    await borin.page.getByLabel("Say").fill("Well met, traveller!");
    await borin.page.getByLabel("Say").press("Enter");
    const line = aria.page.locator(`#chat-log li[data-character-id="${borin.characterId}"]`, { hasText: "Well met, traveller!" });
    await line.waitFor(WAIT);
    assert.equal(await line.locator("strong").textContent(), "Borin");
    assert.equal(await borin.page.getByLabel("Say").inputValue(), "", "the input is cleared once sent");
  });

  it("a DM typed on one page arrives live on the other with an unread count, is stored, and reading it clears the count", async () => {
    const text = `A pint at the tavern? ${uniqueName("dm")}`;
    await sendDm(aria, borin, text);
    const conversation = conversationWith(borin.page, aria.user.id);
    await borin.page.waitForFunction(
      ([id, content]) => {
        const item = document.querySelector<HTMLElement>(`#conversations li[data-user-id="${id}"]`);
        return item?.querySelector(".last")?.textContent === content && item.dataset.unread === "1";
      },
      [aria.user.id, text] as const,
      WAIT,
    );
    assert.equal(await conversation.locator(".peer").textContent(), aria.user.username);
    // The sender sees its own echo in the conversation it opened.
    await aria.page.locator("#dm-log li.mine", { hasText: text }).waitFor(WAIT);

    const stored = await api("GET", `/api/v1/messages/dm/${aria.user.id}`, { token: borin.user.token });
    assert.equal(stored.status, 200);
    const message = stored.body.items.find((m: { content: string }) => m.content === text);
    assert.ok(message, "the DM is stored");
    assert.equal(message.sender_id, aria.user.id);
    assert.equal(typeof message.client_msg_id, "string", "sent with a client_msg_id");

    // The page clears its count at once and tells the server in the background; wait for that answer.
    const markedRead = borin.page.waitForResponse(
      (response) => response.request().method() === "POST" && response.url().endsWith(`/messages/dm/${aria.user.id}/read`),
      WAIT,
    );
    await conversation.getByRole("button").click();
    assert.ok((await markedRead).ok(), "the page's read receipt is accepted");
    await borin.page.locator(`#dm-log li[data-message-id="${message.id}"]`, { hasText: text }).waitFor(WAIT);
    await borin.page.waitForFunction((id) => document.querySelector<HTMLElement>(`#conversations li[data-user-id="${id}"]`)?.dataset.unread === "0", aria.user.id, WAIT);
    const conversations = await api("GET", "/api/v1/messages/conversations", { token: borin.user.token });
    assert.equal(conversations.body.items.find((c: { user_id: string }) => c.user_id === aria.user.id).unread_count, 0, "read on the server too");
  });

  it("a page whose connection drops says so, reconnects, receives the DM sent meanwhile, and plays on", async () => {
    const text = `While you were away ${uniqueName("dm")}`;
    proxy.hold();
    await borin.page.locator('#connection[data-state="reconnecting"]').waitFor(WAIT);
    await sendDm(aria, borin, text);
    await aria.page.locator("#dm-log li.mine", { hasText: text }).waitFor(WAIT);
    const stored = await api("GET", `/api/v1/messages/dm/${aria.user.id}?limit=1`, { token: borin.user.token });
    assert.equal(stored.body.items[0].content, text, "stored while the page was away");
    assert.equal(await borin.page.locator("#dm-log li", { hasText: text }).count(), 0, "not delivered during the drop");

    proxy.release();
    await borin.page.locator('#connection[data-state="connected"]', { hasText: "Reconnected" }).waitFor(WAIT);
    // The conversation with Aria is open on Borin's page: the message lands in it.
    await borin.page.locator("#dm-log li", { hasText: text }).waitFor(WAIT);
    await playerIn(borin.page, aria.characterId).waitFor(WAIT);
    await walkRight(borin, aria, 10);
  });

  if (SCREENSHOT) {
    it(`saves a screenshot of two players to ${SCREENSHOT}`, async () => {
      /** Holds `keys` until the player stands past (x, y) on its own page. */
      const walk = async (player: Player, keys: string[], x: number, y: number) => {
        await player.page.locator("#world-canvas").focus();
        for (const key of keys) await player.page.keyboard.down(key);
        await player.page.waitForFunction(
          ([id, minX, minY]) => {
            const item = document.querySelector<HTMLElement>(`#players li[data-character-id="${id}"]`);
            return Number(item?.dataset.x) >= minX && Number(item?.dataset.y) >= minY;
          },
          [player.characterId, x, y] as const,
          { timeout: 30_000 },
        );
        for (const key of keys) await player.page.keyboard.up(key);
      };
      await Promise.all([walk(aria, ["ArrowRight", "ArrowDown"], 260, 180), walk(borin, ["ArrowRight", "ArrowDown"], 140, 140)]);
      await walk(borin, ["ArrowRight"], 190, 0);
      await borin.page.getByLabel("Say").fill("Anyone for a game of dice?");
      await borin.page.getByLabel("Say").press("Enter");
      await sendDm(aria, borin, "Save me a seat by the fire.");
      await borin.page.locator("#dm-log li", { hasText: "Save me a seat" }).waitFor(WAIT);
      await aria.page.getByLabel("Say").fill("Count me in!");
      await aria.page.getByLabel("Say").press("Enter");
      await borin.page.locator("#chat-log li", { hasText: "Count me in!" }).waitFor(WAIT);
      await borin.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await borin.page.screenshot({ path: SCREENSHOT });
    });
  }

  it("a second window playing the same character stops the first with a message, and the first can take it back", async () => {
    const first = await deepLinked("Cora");
    const second = await deepLinked("Cora", baseUrl(), first.user, first.characterId);
    const notice = first.page.locator("#notice");
    await notice.getByText("joined the world from another window or device").waitFor(WAIT);
    assert.equal(await first.page.locator("#players li").count(), 0, "no frozen players");
    await notice.getByRole("button", { name: "Play here again" }).click();
    await playerIn(first.page, first.characterId).waitFor(WAIT);
    await second.page.locator("#notice").getByText("joined the world from another window or device").waitFor(WAIT);
  });

  it("refreshes the access token before it expires, and the new pair works where the old refresh token no longer does", async () => {
    // The page's own clock, so that fifteen minutes pass at once; the server's is real.
    const page = await openPage(`${baseUrl()}/demo`, true);
    const username = uniqueName("demo");
    await page.getByLabel("Username", { exact: true }).fill(username);
    await page.getByLabel("Email", { exact: true }).fill(`${username}@example.test`);
    await page.locator("#register-form").getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Register" }).click();
    await page.locator("#character-view").waitFor({ state: "visible", ...WAIT });
    const stored = () => page.evaluate(() => JSON.parse(sessionStorage.getItem("tavern.demo.session") ?? "null") as { accessToken: string; refreshToken: string } | null);
    const first = (await stored())!;
    // JWT_TTL is 15 minutes: the refresh is due a minute before expiry, not yet at 13.
    await page.clock.fastForward("13:00");
    assert.equal((await stored())!.accessToken, first.accessToken);
    await page.clock.fastForward("01:30");
    await page.waitForFunction((old) => !sessionStorage.getItem("tavern.demo.session")?.includes(old), first.accessToken, WAIT);
    const second = (await stored())!;
    assert.notEqual(second.refreshToken, first.refreshToken, "the refresh token rotated");
    assert.equal((await api("GET", "/api/v1/users/me", { token: second.accessToken })).body.username, username);
    assert.equal((await api("POST", "/api/v1/auth/refresh", { body: { refresh_token: first.refreshToken } })).status, 401);
  });

  it("a session logged out elsewhere sends the page back to sign in with a message", async () => {
    const player = await deepLinked("Dara");
    assert.equal((await api("POST", "/api/v1/auth/logout", { token: player.user.token })).status, 204);
    await player.page.locator("#auth-view").waitFor({ state: "visible", ...WAIT });
    assert.match((await player.page.locator("#auth-error").textContent()) ?? "", /session was ended/);
    assert.equal(await player.page.locator("#game-view").isHidden(), true);
    // A request the page had in flight when the session ended (a heartbeat, a list) was answered 401.
    forgiveRefusals();
  });
});
