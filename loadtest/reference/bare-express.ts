import express from "express";

/**
 * Reference for REST throughput: bare Express 5 routes with nothing of Tavern (no auth,
 * validation, logging, security headers, database or cache), each answering the same
 * JSON body as the product route it stands beside, so that both write the same bytes.
 * `BODIES` maps a path to that body (`{"/characters": {...}}`), answered to GET and to
 * POST; without it, `/bare` answers a small list.
 */
const app = express();
const bodies: Record<string, unknown> = process.env.BODIES
  ? JSON.parse(process.env.BODIES)
  : { "/bare": { items: [{ id: "00000000-0000-0000-0000-000000000000", name: "Wanderer" }], total: 1, limit: 50, offset: 0 } };
app.get("/readyz", (_req, res) => {
  res.json({ status: "ready" });
});
for (const [path, body] of Object.entries(bodies)) {
  const answer: express.RequestHandler = (_req, res) => {
    res.json(body);
  };
  // POST parses its JSON body, as the product does, and answers the same body whatever it held.
  app.get(path, answer).post(path, express.json(), answer);
}
app.listen(Number(process.env.PORT));
