import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { basicAuth, createEndpoint, createRouter, toNodeHandler } from "@colyseus/core";
import { monitor } from "@colyseus/monitor";
import { playground } from "@colyseus/playground";
import type { Application } from "express";
import helmet from "helmet";

export interface ToolSettings {
  playground: boolean;
  monitor: boolean;
  /** MONITOR_USER/MONITOR_PASSWORD: when set, both tools ask for them. */
  credentials?: { user: string; password: string };
  /** The server's Content-Security-Policy directives, relaxed here for one path only. */
  csp: Record<string, string[]>;
}

/** Where the tools answer (the start log names them). */
export const PLAYGROUND_PATH = "/playground";
export const MONITOR_PATH = "/monitor";

/**
 * Colyseus's developer tools, mounted as their packages describe for 0.18 (an Express
 * path mount of their dual-mode endpoints): `/playground` lists the room types and
 * joins one by hand, `/monitor` shows the live rooms with their clients and state and
 * can disconnect clients or dispose rooms. Credentials, when configured, gate every
 * endpoint of both, the pages included, through Colyseus's own `basicAuth` middleware.
 */
export function toolRoutes(app: Application, settings: ToolSettings): void {
  const use = settings.credentials ? [basicAuth({ realm: "Tavern tools", validate: matches(settings.credentials) })] : [];
  if (settings.playground) {
    // The playground's JSON editor (Ace) runs its syntax checker in a worker started from a
    // blob: URL, which loads its code from a data: URL; a blob worker inherits this page's policy.
    const directives = { ...settings.csp, "script-src": [...(settings.csp["script-src"] ?? []), "data:"], "worker-src": ["'self'", "blob:"] };
    app.use(PLAYGROUND_PATH, helmet.contentSecurityPolicy({ directives }));
    app.use(PLAYGROUND_PATH, playground({ use }));
  }
  if (settings.monitor) {
    app.get(`${MONITOR_PATH}/`, monitorPage(use));
    app.use(MONITOR_PATH, monitor({ use }));
  }
}

/**
 * The monitor's page without its link to Google Fonts (an icon font the page does not
 * use: its icons are inline SVG), which the CSP refuses and which would tell Google
 * who opens the monitor; with an empty icon, so the browser asks for no /favicon.ico.
 * Served behind the same middleware as the monitor's own endpoints.
 */
function monitorPage(use: unknown[]) {
  const source = path.join(path.dirname(require.resolve("@colyseus/monitor")), "static", "index.html");
  const html = fs
    .readFileSync(source, "utf8")
    .replace(/<link[^>]*fonts\.googleapis\.com[^>]*>\s*/g, "")
    .replace("</head>", '<link rel="icon" href="data:,">\n</head>');
  const router = createRouter({
    "monitor-page": createEndpoint(`${MONITOR_PATH}/`, { method: "GET", use }, async () =>
      new Response(html, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } }),
    ),
  });
  const handle = toNodeHandler(router.handler);
  return (req: import("express").Request, res: import("express").Response, next: (err?: unknown) => void) => {
    // `/monitor` without the slash: the monitor redirects it, so that the page's relative assets resolve.
    if (!req.originalUrl.split("?")[0]!.endsWith("/")) return next();
    handle(req, res).catch(next);
  };
}

/** Both fields compared in constant time, whatever is typed: neither the name nor the length of a secret leaks. */
function matches(expected: { user: string; password: string }) {
  const digest = (value: string) => crypto.createHash("sha256").update(value).digest();
  const user = digest(expected.user);
  const password = digest(expected.password);
  return (givenUser: string, givenPassword: string) => {
    const userOk = crypto.timingSafeEqual(digest(givenUser), user);
    const passwordOk = crypto.timingSafeEqual(digest(givenPassword), password);
    return userOk && passwordOk;
  };
}
