import fs from "node:fs";
import { parseArgs } from "node:util";
import { Client } from "@colyseus/sdk";
import { cli, type Options } from "@colyseus/loadtest";
import { percentile } from "./lib/table";

/**
 * Direct-message load: each bot is a pair of fresh users with their inboxes open; the
 * sender sends `dm` over its inbox every `--interval` ms (below the per-connection
 * budget) and the pair records the send → delivery latency on the receiver's inbox.
 * With `--endpoint2` the receivers connect to a second process, so every message
 * crosses processes through Redis.
 *
 * Once every bot is connected, the bots measure for `--seconds` and write
 * `{done, delivered, sent, errors, messages_per_second, p50, p99}` to `--stats`.
 *
 *   npx tsx loadtest/chat.ts --endpoint ws://localhost:2567 --numClients 100 --interval 200 --stats chat.json
 */

const { values: args } = parseArgs({
  options: {
    endpoint2: { type: "string" },
    interval: { type: "string", default: "200" },
    seconds: { type: "string", default: "30" },
    stats: { type: "string" },
  },
  strict: false,
});
const INTERVAL_MS = Number(args.interval);
const MEASURE_MS = Number(args.seconds) * 1000;
const PASSWORD = "load-test-password-1";

const run = { connected: 0, expected: 0, measuringSince: 0, done: false, sent: 0, delivered: 0, errors: 0, latencies: [] as number[] };

async function signUp(httpBase: string, tag: string): Promise<{ id: string; token: string }> {
  const username = `load_${tag}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
  const post = (path: string, body: unknown) =>
    fetch(`${httpBase}/api/v1${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const reg = await post("/auth/register", { username, email: `${username}@load.test`, password: PASSWORD });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await post("/auth/login", { username, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const { access_token, user } = (await login.json()) as { access_token: string; user: { id: string } };
  return { id: user.id, token: access_token };
}

function inboxOf(endpoint: string, token: string) {
  const client = new Client(endpoint);
  client.auth.token = token;
  return client.joinOrCreate("inbox", {});
}

function writeStats() {
  if (typeof args.stats !== "string") return;
  const elapsed = run.measuringSince ? Math.min(Date.now() - run.measuringSince, MEASURE_MS) / 1000 : 0;
  fs.writeFileSync(
    args.stats,
    JSON.stringify({
      done: run.done,
      bots: run.connected,
      sent: run.sent,
      delivered: run.delivered,
      errors: run.errors,
      messages_per_second: elapsed > 0 ? run.delivered / elapsed : 0,
      p50: percentile(run.latencies, 50),
      p99: percentile(run.latencies, 99),
    }),
  );
}

setInterval(() => {
  if (run.measuringSince && !run.done && Date.now() - run.measuringSince >= MEASURE_MS) run.done = true;
  writeStats();
}, 1000);

cli(async (options: Options) => {
  run.expected = options.numClients;
  const httpBase = options.endpoint.replace(/^ws/, "http");
  const receiverEndpoint = typeof args.endpoint2 === "string" ? args.endpoint2 : options.endpoint;
  const [sender, receiver] = await Promise.all([
    signUp(httpBase, `s${options.clientId}`),
    signUp(receiverEndpoint.replace(/^ws/, "http"), `r${options.clientId}`),
  ]);
  const [out, inbox] = await Promise.all([inboxOf(options.endpoint, sender.token), inboxOf(receiverEndpoint, receiver.token)]);

  const sentAt = new Map<string, number>();
  inbox.onMessage("message", (m: { client_msg_id: string | null }) => {
    const at = m.client_msg_id ? sentAt.get(m.client_msg_id) : undefined;
    if (at === undefined) return;
    sentAt.delete(m.client_msg_id!);
    if (run.measuringSince && !run.done && at >= run.measuringSince) {
      run.delivered++;
      run.latencies.push(Date.now() - at);
    }
  });
  out.onMessage("message", () => {});
  out.onMessage("error", (e: { code: string }) => {
    run.errors++;
    console.error(`bot ${options.clientId}: error ${e.code}`);
  });

  // Spread the pairs' sends over the interval so the load is even, not in bursts.
  let n = 0;
  const start = setTimeout(() => {
    const sending = setInterval(() => {
      const clientMsgId = `${options.clientId}-${n++}`;
      const now = Date.now();
      sentAt.set(clientMsgId, now);
      if (run.measuringSince && !run.done && now >= run.measuringSince) run.sent++;
      out.send("dm", { recipient_id: receiver.id, content: `load message ${n}`, client_msg_id: clientMsgId });
    }, INTERVAL_MS);
    out.onLeave(() => clearInterval(sending));
  }, Math.random() * INTERVAL_MS);
  out.onLeave(() => clearTimeout(start));

  if (++run.connected === run.expected) {
    // Everyone is in: measure after a short settling time.
    run.measuringSince = Date.now() + 2000;
  }
});
