import type { Request, RequestHandler, Response } from "express";
import type { Metrics } from "../../infra/metrics";
import type { TrafficCounter } from "../../services/metrics/traffic";

/** The one route template of every URL no route took, so that unknown URLs cannot multiply series. */
export const UNMATCHED = "unmatched";

/**
 * Marks requests entering a router mounted at `base`. Express restores `req.baseUrl`
 * when an error leaves the router, while `req.route` stays, so the template of a
 * request that failed in a route is still whole.
 */
export const routeBase =
  (base: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.routeBase = base;
    next();
  };

/** `/api/v1/characters/:id` for a request a route took; a mounted app (static files) by its mount path; else "unmatched". */
export function routeTemplate(req: Request, res: Response): string {
  if (req.route?.path !== undefined && typeof req.route.path === "string") {
    const base = (res.locals.routeBase as string | undefined) ?? "";
    // A resource's own root (`/characters`) is the route "/" of the resource's router.
    return req.route.path === "/" && base ? base : `${base}${req.route.path}`;
  }
  // Mount paths match case-insensitively; lower case keeps one series per mount.
  return req.baseUrl ? `${req.baseUrl.toLowerCase()}/*` : UNMATCHED;
}

/**
 * Times every request and counts it when the response is finished: the Prometheus
 * histogram of this process, and the per-minute traffic all processes share.
 */
export function trafficMeter(metrics: Metrics, traffic: TrafficCounter): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const route = routeTemplate(req, res);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequestSeconds.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      traffic.record(req.method, route, res.statusCode);
    });
    next();
  };
}
