import express from "express";

/**
 * Reference for REST throughput: a bare Express 5 route answering a small JSON body,
 * with nothing of Tavern (no auth, validation, logging, database or cache).
 */
const app = express();
const body = { items: [{ id: "00000000-0000-0000-0000-000000000000", name: "Wanderer" }], total: 1, limit: 50, offset: 0 };
app.get("/readyz", (_req, res) => {
  res.json({ status: "ready" });
});
app.get("/bare", (_req, res) => {
  res.json(body);
});
app.listen(Number(process.env.PORT));
