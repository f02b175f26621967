import { api } from "./api";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** `GET /metrics` of the test server (or `base`), parsed. */
export async function scrape(token: string, base?: string): Promise<Sample[]> {
  const res = await api("GET", "/metrics", { token, base });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return parsePrometheus(String(res.body));
}

/** The samples of `name` whose labels include `labels`. */
export const series = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/** The sum of those samples' values, 0 when there are none. */
export const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  series(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
