import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one process (`GET /metrics`). The world figures are what the
 * benchmark reads: ticks run, their duration and the clients they served.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly worldTicks = new Counter({
    name: "tavern_world_ticks_total",
    help: "Simulation ticks run by world zone rooms.",
    labelNames: ["zone_id"],
    registers: [this.registry],
  });

  readonly worldTickSeconds = new Histogram({
    name: "tavern_world_tick_seconds",
    help: "Duration of one world tick: inputs, movement, interest management, events and the patch it sends.",
    // Fine below 50 ms, where the benchmark reads p50/p99 by interpolation.
    buckets: [
      0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025, 0.03, 0.035,
      0.04, 0.045, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.5,
    ],
    registers: [this.registry],
  });

  readonly worldPlayers = new Gauge({
    name: "tavern_world_players",
    help: "Players in world zone rooms of this process.",
    labelNames: ["zone_id"],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "tavern_" });
  }
}
