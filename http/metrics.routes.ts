import crypto from "node:crypto";
import type { Router } from "express";
import type { Metrics } from "../infra/metrics";
import { DomainError, forbidden, unauthenticated } from "../services/errors";
import { hasRole, type TokenService } from "../services/tokens";
import { bearerToken } from "./middleware/auth";

const sameSecret = (a: string, b: string) =>
  a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

const WANTED = "GET /metrics needs Authorization: Bearer with METRICS_TOKEN or an admin's access token.";

/** `GET /metrics` in Prometheus text, for `METRICS_TOKEN` or an admin's access token. */
export function metricsRoutes(router: Router, metrics: Metrics, tokens: TokenService, metricsToken?: string) {
  router.get("/metrics", async (req, res) => {
    const token = bearerToken(req);
    if (!token) throw unauthenticated(WANTED);
    if (!(metricsToken && sameSecret(token, metricsToken))) {
      const claims = await tokens.verifyAccessToken(token).catch((err: unknown) => {
        throw err instanceof DomainError && err.status === 401 ? unauthenticated(WANTED) : err;
      });
      if (!hasRole(claims, "admin")) throw forbidden("GET /metrics is for admins and for METRICS_TOKEN.");
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
