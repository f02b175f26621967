import { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import express, { type Application } from "express";
import helmet from "helmet";
import type { Config } from "../config";
import type { Logger } from "../infra/logger";
import type { TokenService } from "../services/tokens";
import { demoRoutes } from "./demo.routes";
import { docsRoutes } from "./docs.routes";
import { healthRoutes, type ReadinessProbe } from "./health.routes";
import type { Metrics } from "../infra/metrics";
import { metricsRoutes } from "./metrics.routes";
import { problemHandler, unknownRoute } from "./middleware/problem";
import type { RateLimiter } from "./middleware/rate-limit";
import { requestLog } from "./middleware/request-log";
import { routeBase, trafficMeter } from "./middleware/traffic";
import type { TrafficCounter } from "../services/metrics/traffic";
import { RawBodyRoutes, Routes } from "./route";
import { MONITOR_PATH, PLAYGROUND_PATH, toolRoutes } from "./tools.routes";

export const API_BASE = "/api/v1";

export interface HttpDeps {
  config: Config;
  logger: Logger;
  tokens: TokenService;
  rateLimiter: RateLimiter;
  probes: ReadinessProbe[];
  metrics: Metrics;
  traffic: TrafficCounter;
  version: string;
}

/** A resource's router: registers its routes on `routes`. */
export type Mount = (routes: Routes) => void;

/**
 * Express conventions of the REST API, each in one place: request ids and logs, security
 * headers, the JSON body limit, the resource routers under `/api/v1`, 404 for
 * anything else, and the one problem-document error handler last.
 */
export function mountHttp(app: Application, deps: HttpDeps, mounts: Mount[]) {
  const { config, logger } = deps;
  app.disable("x-powered-by");
  // No client revalidates API answers with Express's weak ETags, and each costs a hash of the body; routes that need one (CMS) set their own.
  app.set("etag", false);
  // Which peers may name the client in X-Forwarded-For: rate limits count by that address.
  app.set("trust proxy", config.TRUST_PROXY);
  app.use(requestLog(logger));
  app.use(trafficMeter(deps.metrics, deps.traffic));
  // Swagger UI at /docs runs its own scripts and styles from this origin.
  const csp = { "script-src": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"] };
  app.use(helmet({ contentSecurityPolicy: { directives: csp } }));
  const rawBodies = new RawBodyRoutes(config.BODY_LIMIT);
  const json = express.json({ limit: config.BODY_LIMIT, type: ["application/json", "application/*+json"] });
  // GET and HEAD carry no body this API reads: they skip the parser altogether.
  app.use((req, res, next) => (req.method === "GET" || req.method === "HEAD" || rawBodies.includes(req) ? next() : json(req, res, next)));

  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });

  // The API first: its requests are the many, and need not walk the routes below.
  const api = express.Router();
  api.use(routeBase(API_BASE));
  const routes = new Routes(api, registry, API_BASE, deps.tokens, rawBodies);
  for (const mount of mounts) mount(routes);
  app.use(API_BASE, api);

  const root = express.Router();
  healthRoutes(root, deps.probes);
  docsRoutes(root, registry, deps.version);
  metricsRoutes(root, deps.metrics, deps.tokens, config.METRICS_TOKEN);
  if (config.DEMO_ENABLED) demoRoutes(root, { maxStep: config.WORLD_MAX_STEP });
  app.use(root);
  toolRoutes(app, {
    playground: config.PLAYGROUND_ENABLED,
    monitor: config.MONITOR_ENABLED,
    credentials: config.MONITOR_USER && config.MONITOR_PASSWORD ? { user: config.MONITOR_USER, password: config.MONITOR_PASSWORD } : undefined,
    csp,
  });

  app.use(unknownRoute);
  app.use(problemHandler(logger));
}

/**
 * Where a person finds this server once it listens, for the start log: the base URL,
 * and the pages that are switched on (the API reference always).
 */
export function startLog(config: Config, port: number): { fields: Record<string, string>; message: string } {
  const url = `http://localhost:${port}`;
  const pages: Record<string, string> = { docs: `${url}/docs` };
  if (config.DEMO_ENABLED) pages.demo = `${url}/demo`;
  if (config.PLAYGROUND_ENABLED) pages.playground = `${url}${PLAYGROUND_PATH}`;
  if (config.MONITOR_ENABLED) pages.monitor = `${url}${MONITOR_PATH}`;
  const list = Object.entries(pages).map(([name, at]) => `${name} ${at}`).join(", ");
  return { fields: { url, ...pages }, message: `listening on ${url}; ${list}` };
}
