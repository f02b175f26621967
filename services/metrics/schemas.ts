import { z } from "zod";

export const heartbeatBody = z
  .strictObject({
    client_id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{8,64}$/, "must be 8-64 letters, digits or . _ : -")
      .optional()
      .meta({ description: "A random id the client keeps; counts an anonymous visitor. Ignored when a token is sent." }),
  })
  .meta({ id: "HeartbeatRequest" });
export type HeartbeatInput = z.output<typeof heartbeatBody>;

export const onlineNowView = z
  .object({
    count: z.number().int(),
    users: z.number().int(),
    anonymous: z.number().int(),
    window_seconds: z.number().int(),
  })
  .meta({ id: "OnlineNow" });
export type OnlineNow = z.output<typeof onlineNowView>;

/** At most a day: traffic is kept in presence for that long. */
export const TRAFFIC_MAX_MINUTES = 1440;

export const trafficQuery = z.strictObject({
  minutes: z.coerce.number().int().min(1).max(TRAFFIC_MAX_MINUTES).default(60),
});

const statusCount = z.object({ status: z.number().int(), requests: z.number().int() });

export const trafficSummaryView = z
  .object({
    window_minutes: z.number().int(),
    total_requests: z.number().int(),
    by_minute: z.array(z.object({ minute: z.string(), requests: z.number().int() })),
    by_route: z.array(
      z.object({
        route: z.string().meta({ description: 'Method and route template, e.g. "GET /api/v1/characters/:id"; "unmatched" for URLs no route took.' }),
        requests: z.number().int(),
        by_status: z.array(statusCount),
      }),
    ),
    by_status: z.array(statusCount),
  })
  .meta({ id: "TrafficSummary" });
export type TrafficSummary = z.output<typeof trafficSummaryView>;

export const contentCountsView = z
  .object({
    users: z.number().int(),
    characters: z.number().int(),
    public_characters: z.number().int(),
    stories: z.number().int(),
    public_stories: z.number().int(),
    messages: z.number().int(),
  })
  .meta({ id: "ContentCounts" });
export type ContentCounts = z.output<typeof contentCountsView>;
