import fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * A headless Chromium for the browser tests, or a skip of the calling suite that says
 * why (out loud rather than passed: CI installs chromium, so these tests run there).
 * Call it from a `before` hook.
 */
export async function launchBrowser(ctx: Mocha.Context): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    console.warn(`    skipped: no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    ctx.skip();
  }
  // Playwright gives the browser a fresh profile of its own. This machine's network is
  // closed: background fetches would only fail, noisily.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
