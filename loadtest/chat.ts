import { Client } from "@colyseus/sdk";
import { cli, type Options } from "@colyseus/loadtest";

/**
 * Direct-message load: each bot is a pair of fresh users with their inboxes open; one
 * sends to the other every SEND_INTERVAL_MS (below the per-connection message budget)
 * over the inbox, and the bot logs the send → delivery latency it sees.
 *
 *   npx tsx loadtest/chat.ts --endpoint ws://localhost:2567 --room inbox --numClients 100
 */

const SEND_INTERVAL_MS = Number(process.env.SEND_INTERVAL_MS ?? 250);
const PASSWORD = "load-test-password-1";

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

cli(async (options: Options) => {
  const httpBase = options.endpoint.replace(/^ws/, "http");
  const [sender, receiver] = await Promise.all([signUp(httpBase, `s${options.clientId}`), signUp(httpBase, `r${options.clientId}`)]);
  const [out, inbox] = await Promise.all([inboxOf(options.endpoint, sender.token), inboxOf(options.endpoint, receiver.token)]);

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let errors = 0;
  inbox.onMessage("message", (m: { client_msg_id: string | null }) => {
    const at = m.client_msg_id ? sentAt.get(m.client_msg_id) : undefined;
    if (at === undefined) return;
    sentAt.delete(m.client_msg_id!);
    latencies.push(Date.now() - at);
  });
  out.onMessage("message", () => {});
  out.onMessage("error", (e: { code: string }) => {
    errors++;
    console.error(`bot ${options.clientId}: error ${e.code}`);
  });
  for (const room of [out, inbox]) room.onLeave((code: number) => console.log(`bot ${options.clientId}: left with ${code}`));

  let n = 0;
  const sending = setInterval(() => {
    const clientMsgId = `${options.clientId}-${n++}`;
    sentAt.set(clientMsgId, Date.now());
    out.send("dm", { recipient_id: receiver.id, content: `load message ${n}`, client_msg_id: clientMsgId });
  }, SEND_INTERVAL_MS);

  const reporting = setInterval(() => {
    const window = latencies.splice(0).sort((a, b) => a - b);
    const pct = (p: number) => window[Math.min(window.length - 1, Math.floor((p / 100) * window.length))] ?? 0;
    console.log(`bot ${options.clientId}: ${window.length} delivered/5s, p50 ${pct(50)} ms, p99 ${pct(99)} ms, in flight ${sentAt.size}, errors ${errors}`);
  }, 5000);
  out.onLeave(() => {
    clearInterval(sending);
    clearInterval(reporting);
  });
});
