import { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import express, { type Application } from "express";
import helmet from "helmet";
import type { Config } from "../config";
import type { Logger } from "../infra/logger";
import type { TokenService } from "../services/tokens";
import { docsRoutes } from "./docs.routes";
import { healthRoutes, type ReadinessProbe } from "./health.routes";
import type { Metrics } from "../infra/metrics";
import { metricsRoutes } from "./metrics.routes";
import { corsPolicy } from "./middleware/cors";
import { problemHandler, unknownRoute } from "./middleware/problem";
import type { RateLimiter } from "./middleware/rate-limit";
import { requestLog } from "./middleware/request-log";
import { RawBodyRoutes, Routes } from "./route";

export const API_BASE = "/api/v1";

export interface HttpDeps {
  config: Config;
  logger: Logger;
  tokens: TokenService;
  rateLimiter: RateLimiter;
  probes: ReadinessProbe[];
  metrics: Metrics;
  version: string;
}

/** A resource's router: registers its routes on `routes`. */
export type Mount = (routes: Routes) => void;

/**
 * Express conventions of api.md, each in one place: request ids and logs, security
 * headers, CORS, the JSON body limit, the resource routers under `/api/v1`, 404 for
 * anything else, and the one problem-document error handler last.
 */
export function mountHttp(app: Application, deps: HttpDeps, mounts: Mount[]) {
  const { config, logger } = deps;
  app.disable("x-powered-by");
  // Behind a local load balancer the client address comes from X-Forwarded-For.
  app.set("trust proxy", "loopback");
  app.use(requestLog(logger));
  app.use(
    helmet({
      // Swagger UI at /docs runs its own scripts and styles from this origin.
      contentSecurityPolicy: { directives: { "script-src": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"] } },
    }),
  );
  app.use(corsPolicy(config.CORS_ORIGINS));
  const rawBodies = new RawBodyRoutes(config.BODY_LIMIT);
  const json = express.json({ limit: config.BODY_LIMIT, type: ["application/json", "application/*+json"] });
  app.use((req, res, next) => (rawBodies.includes(req) ? next() : json(req, res, next)));

  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });

  const root = express.Router();
  healthRoutes(root, deps.probes);
  docsRoutes(root, registry, deps.version);
  metricsRoutes(root, deps.metrics, deps.tokens, config.METRICS_TOKEN);
  app.use(root);

  const api = express.Router();
  const routes = new Routes(api, registry, API_BASE, deps.tokens, rawBodies);
  for (const mount of mounts) mount(routes);
  app.use(API_BASE, api);

  app.use(unknownRoute);
  app.use(problemHandler(logger));
}
