import fs from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";
import type { Router } from "express";

/** The browser client's sources (TypeScript, HTML, CSS); `web/tsconfig.json` types them against the DOM. */
const SOURCE = path.resolve(__dirname, "../web/demo");

interface Asset {
  type: string;
  body: string;
}

interface Bundle {
  html: string;
  assets: Map<string, Asset>;
}

const TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css" };

/**
 * Bundles the client with esbuild into memory: `app.js` (the page and @colyseus/sdk)
 * and `app.css`; no source maps, which would publish the server's file paths. Settings
 * the room does not announce (the step clamp, which prediction must respect) go into
 * the HTML as data attributes, since the Content-Security-Policy admits no inline script.
 */
async function bundle(settings: { maxStep: number }): Promise<Bundle> {
  const [result, template] = await Promise.all([
    build({
      entryPoints: [
        { in: path.join(SOURCE, "main.ts"), out: "app" },
        { in: path.join(SOURCE, "style.css"), out: "app" },
      ],
      outdir: "/demo",
      bundle: true,
      write: false,
      platform: "browser",
      format: "iife",
      target: "es2022",
      minify: true,
      logLevel: "silent",
    }),
    fs.readFile(path.join(SOURCE, "index.html"), "utf8"),
  ]);
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    assets.set(name, { type: TYPES[path.extname(name)] ?? "application/octet-stream", body: file.text });
  }
  return { html: template.replaceAll("{{WORLD_MAX_STEP}}", String(settings.maxStep)), assets };
}

/**
 * `GET /demo`, the playable browser client, and its assets from this server. Built on
 * the first request and kept; a failed build is retried by the next request.
 */
export function demoRoutes(router: Router, settings: { maxStep: number }) {
  let built: Promise<Bundle> | undefined;
  const load = () =>
    (built ??= bundle(settings).catch((err) => {
      built = undefined;
      throw err;
    }));

  router.get("/demo", async (_req, res) => {
    const { html } = await load();
    res.set("Cache-Control", "no-cache").type("html").send(html);
  });
  router.get("/demo/:file", async (req, res, next) => {
    const asset = (await load()).assets.get(req.params.file);
    if (!asset) return next();
    res.set("Cache-Control", "no-cache").type(asset.type).send(asset.body);
  });
}
