import { LocalPresence, type Presence } from "@colyseus/core";
import { RedisPresence } from "@colyseus/redis-presence";
import { percentile } from "../lib/table";

/**
 * Reference for DM delivery: a bare presence publish → receive round trip at the same
 * message rate, through Redis when REDIS_URL is set (two connections, as two processes
 * have), else in-process. Prints `{messages_per_second, p50, p99}` in milliseconds.
 */
async function main() {
  const rate = Number(process.env.RATE ?? 500);
  const seconds = Number(process.env.SECONDS ?? 10);
  const url = process.env.REDIS_URL;
  const [pub, sub]: Presence[] = url ? [new RedisPresence(url), new RedisPresence(url)] : (() => {
    const p = new LocalPresence();
    return [p, p];
  })();
  const latencies: number[] = [];
  await sub.subscribe("bench.roundtrip", (m: { at: number }) => latencies.push(performance.now() - m.at));
  await new Promise((r) => setTimeout(r, 200));
  const total = rate * seconds;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await pub.publish("bench.roundtrip", { at: performance.now(), i, content: "x".repeat(64) });
  }
  await new Promise((r) => setTimeout(r, 500));
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write(
    JSON.stringify({ messages_per_second: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }) + "\n",
  );
  pub.shutdown();
  if (sub !== pub) sub.shutdown();
  process.exit(0);
}

void main();
