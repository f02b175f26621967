import crypto from "node:crypto";
import type { Router } from "express";
import type { Metrics } from "../infra/metrics";
import { forbidden, unauthenticated } from "../services/errors";
import { hasRole, type TokenService } from "../services/tokens";
import { bearerToken } from "./middleware/auth";

const sameSecret = (a: string, b: string) =>
  a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** `GET /metrics` in Prometheus text, for `METRICS_TOKEN` or an admin's access token. */
export function metricsRoutes(router: Router, metrics: Metrics, tokens: TokenService, metricsToken?: string) {
  router.get("/metrics", async (req, res) => {
    const token = bearerToken(req);
    if (!token) throw unauthenticated();
    if (!(metricsToken && sameSecret(token, metricsToken))) {
      const claims = await tokens.verifyAccessToken(token);
      if (!hasRole(claims, "admin")) throw forbidden();
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
