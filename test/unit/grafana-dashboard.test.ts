import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Metrics } from "../../infra/metrics";

const FILE = path.resolve(__dirname, "../../docs/grafana/tavern-dashboard.json");

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

/** Labels Prometheus or PromQL adds on its own, which no exporter declares. */
const IMPLICIT_LABELS = new Set(["instance", "job", "le", "quantile"]);

/** Every series name /metrics can expose, with the label names each may carry. */
async function exported(): Promise<Map<string, Set<string>>> {
  const { registry } = new Metrics();
  const names = new Map<string, Set<string>>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const labels = new Set<string>((registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? []);
    for (const value of metric.values) for (const label of Object.keys(value.labels)) labels.add(label);
    const type = String(metric.type);
    const suffixes = type === "histogram" ? ["_bucket", "_sum", "_count"] : type === "summary" ? ["", "_sum", "_count"] : [""];
    for (const suffix of suffixes) names.set(metric.name + suffix, labels);
  }
  return names;
}

describe("the Grafana dashboard (docs/grafana)", () => {
  const dashboard = JSON.parse(fs.readFileSync(FILE, "utf8"));
  const panels: Panel[] = dashboard.panels;
  const queries = panels.filter((p) => p.type !== "row");

  it("is an importable dashboard: no fixed id, a uid, a title, a schema version and panels on the grid", () => {
    assert.equal(dashboard.id, null);
    assert.match(dashboard.uid, /^[a-z0-9-]{1,40}$/);
    assert.ok(dashboard.title);
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36);
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, "panel ids are unique");
    for (const p of panels) {
      const { x, w, h } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${p.title} fits the 24-column grid`);
    }
  });

  it("asks for its Prometheus data source instead of naming one, and every query uses it", () => {
    const variable = dashboard.templating.list.find((v: { type: string }) => v.type === "datasource");
    assert.equal(variable?.query, "prometheus");
    for (const p of queries) {
      assert.deepEqual(p.datasource, { type: "prometheus", uid: `\${${variable.name}}` }, p.title);
      assert.ok(p.targets && p.targets.length > 0, `${p.title} has queries`);
      assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length, `${p.title}: refIds are unique`);
      for (const t of p.targets) assert.deepEqual(t.datasource, p.datasource, `${p.title} ${t.refId}`);
    }
  });

  it("covers rooms, clients, tick duration, HTTP latency by route and DM throughput", () => {
    const exprs = queries.flatMap((p) => p.targets!.map((t) => t.expr)).join("\n");
    for (const needed of ["tavern_rooms", "tavern_room_clients", "tavern_world_tick_seconds_bucket", "tavern_http_request_duration_seconds_bucket", "tavern_room_messages_sent_total"]) {
      assert.ok(exprs.includes(needed), needed);
    }
    assert.match(exprs, /sum by \(le, method, route\) \(rate\(tavern_http_request_duration_seconds_bucket/);
  });

  it("every PromQL expression names only metrics and labels the server exports", async () => {
    const names = await exported();
    const variables = dashboard.templating.list.filter((v: { definition?: string }) => v.definition).map((v: { definition: string }) => v.definition);
    const exprs = [...queries.flatMap((p) => p.targets!.map((t) => ({ where: `${p.title} ${t.refId}`, expr: t.expr }))), ...variables.map((expr: string) => ({ where: "variable", expr }))];
    for (const { where, expr } of exprs) {
      let depth = 0;
      for (const ch of expr) {
        depth += ch === "(" || ch === "{" || ch === "[" ? 1 : ch === ")" || ch === "}" || ch === "]" ? -1 : 0;
        assert.ok(depth >= 0, `${where}: brackets balance`);
      }
      assert.equal(depth, 0, `${where}: brackets balance`);

      const metrics = [...expr.matchAll(/\b(tavern_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
      assert.ok(metrics.length > 0, `${where} queries a tavern metric`);
      for (const metric of metrics) assert.ok(names.has(metric), `${where}: ${metric} is exported`);

      const labels = new Set(metrics.flatMap((m) => [...names.get(m)!]));
      const used = [
        ...[...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(",").map((l: string) => l.trim()).filter(Boolean)),
        ...[...expr.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)\s*"/g)].map((m) => m[1]!),
      ];
      for (const label of used) assert.ok(IMPLICIT_LABELS.has(label) || labels.has(label), `${where}: label ${label} exists on ${metrics.join(", ")}`);
    }
  });
});
