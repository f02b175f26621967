import { freePort, startPinned, waitUntil, type Pinned } from "./proc";

export interface Started extends Pinned {
  url: string;
  port: number;
}

/**
 * Starts a server entry point (the product or a bare reference) pinned to `core`, and
 * waits until `readyPath` answers 200: every benchmarked server is started alike.
 */
export async function startServer(
  entry: string,
  env: Record<string, string>,
  { core = 0, readyPath = "/readyz" } = {},
): Promise<Started> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startPinned(entry, [], { NODE_ENV: "production", LOG_LEVEL: "warn", ...env, PORT: String(port) }, core);
  await waitUntil(proc, async () => (await fetch(url + readyPath)).status === 200);
  return { ...proc, url, port };
}

/** Benchmarks measure the engine, not the abuse limits: a fleet logs in from one address and writes far faster than a person. */
export const BENCH_LIMITS: Record<string, string> = {
  RATE_LIMIT_AUTH_PER_MINUTE: "100000000",
  RATE_LIMIT_LOGIN_PER_MINUTE: "100000000",
  RATE_LIMIT_DM_PER_MINUTE: "100000000",
  RATE_LIMIT_CHARACTERS_PER_MINUTE: "100000000",
  RATE_LIMIT_SAY_PER_MINUTE: "100000000",
  RATE_LIMIT_CHAT_TURNS_PER_MINUTE: "100000000",
  // A bot playing origchat turns back to back alone (while the others still join) sends more than 30 a second.
  WS_MAX_MESSAGES_PER_SECOND: "100000",
};

/** Production-like settings every benchmarked product server shares. */
export const BENCH_ENV: Record<string, string> = {
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123456789",
  PAYMENT_WEBHOOK_SECRET: "bench-webhook-secret-0123456789",
  ...BENCH_LIMITS,
  METRICS_TOKEN: "bench-metrics-token",
};
