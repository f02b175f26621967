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
    help: "Duration of one world tick: inputs, movement, interest management and events.",
    buckets: [0.0005, 0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2],
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
