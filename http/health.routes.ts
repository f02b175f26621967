import type { Router } from "express";

export interface ReadinessProbe {
  name: string;
  check: () => Promise<boolean>;
}

/**
 * Liveness and readiness, outside `/api/v1` for load balancers and orchestrators.
 * `/readyz` names what is down so an operator need not guess.
 */
export function healthRoutes(router: Router, probes: ReadinessProbe[]) {
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  router.get("/readyz", async (_req, res) => {
    const results = await Promise.all(probes.map(async (p) => [p.name, await p.check()] as const));
    const checks = Object.fromEntries(results.map(([name, ok]) => [name, ok ? "up" : "down"]));
    const ready = results.every(([, ok]) => ok);
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable", checks });
  });
}
