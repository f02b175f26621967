import express from "express";

/**
 * Reference for REST throughput: bare Express 5 routes with nothing of Tavern (no auth,
 * validation, logging, security headers, database or cache), each answering the same
 * JSON body as the product route it stands beside, so that both write the same bytes.
 * `BODIES` maps a path to that body (`{"/characters": {...}}`); without it, `/bare`
 * answers a small list.
 */
const app = express();
const bodies: Record<string, unknown> = process.env.BODIES
  ? JSON.parse(process.env.BODIES)
  : { "/bare": { items: [{ id: "00000000-0000-0000-0000-000000000000", name: "Wanderer" }], total: 1, limit: 50, offset: 0 } };
app.get("/readyz", (_req, res) => {
  res.json({ status: "ready" });
});
for (const [path, body] of Object.entries(bodies)) {
  app.get(path, (_req, res) => {
    res.json(body);
  });
}
app.listen(Number(process.env.PORT));
