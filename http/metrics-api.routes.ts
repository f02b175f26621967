import type { ContentCountsService } from "../services/metrics/content-counts";
import type { OnlineTracker } from "../services/metrics/online";
import { contentCountsView, heartbeatBody, onlineNowView, trafficQuery, trafficSummaryView } from "../services/metrics/schemas";
import type { TrafficCounter } from "../services/metrics/traffic";
import type { RateLimiter } from "./middleware/rate-limit";
import type { Routes } from "./route";

export interface MetricsApiDeps {
  online: OnlineTracker;
  traffic: TrafficCounter;
  contentCounts: ContentCountsService;
  rateLimiter: RateLimiter;
  heartbeatsPerMinute: number;
}

/** `/api/v1/metrics/*`: presence heartbeats and the operators' summaries (`GET /metrics` is Prometheus's, outside the API). */
export function metricsApiRoutes({ online, traffic, contentCounts, rateLimiter, heartbeatsPerMinute }: MetricsApiDeps) {
  const heartbeatLimit = rateLimiter.rule({ name: "heartbeat", windowSeconds: 60, limit: heartbeatsPerMinute });
  return (r: Routes) => {
    r.add(
      { method: "post", path: "/metrics/heartbeat", tag: "metrics", summary: "Mark the caller (or an anonymous client_id) online for ONLINE_TTL seconds", auth: "optional", body: heartbeatBody, status: 204, before: [heartbeatLimit], errors: { 401: "unauthenticated (a token was sent and is not valid)", 429: "rate_limited" } },
      async ({ auth, body }) => {
        await online.heartbeat(auth, body);
      },
    );
    r.add(
      { method: "get", path: "/metrics/online-now", tag: "metrics", summary: "Users and anonymous clients with a heartbeat in the last ONLINE_TTL seconds, across processes", roles: ["admin"], response: onlineNowView },
      () => online.onlineNow(),
    );
    r.add(
      { method: "get", path: "/metrics/traffic-summary", tag: "metrics", summary: "Requests per minute, route template and status over the last `minutes`, across processes", roles: ["admin"], query: trafficQuery, response: trafficSummaryView },
      ({ query }) => traffic.summary(query.minutes),
    );
    r.add(
      { method: "get", path: "/metrics/content-counts", tag: "metrics", summary: "Public totals, cached for 60 s (X-Cache: hit|miss)", response: contentCountsView },
      async ({ res }) => {
        const { counts, cache } = await contentCounts.get();
        res.setHeader("X-Cache", cache);
        return counts;
      },
    );
  };
}
