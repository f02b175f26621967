import fs from "node:fs";
import { parseArgs } from "node:util";
import { cli, type Options } from "@colyseus/loadtest";
import { Client, type Room } from "@colyseus/sdk";
import { setUpPlayer, type PlayerCredentials } from "./lib/origchat-setup";
import { percentile } from "./lib/table";

/**
 * Origchat load: each bot is a fresh user playing a story of its own. It writes the
 * story and starts a session over REST, joins the session's `origchat` room, and plays
 * turns one after another: a turn, its `turn_result`, `--think` ms (± 50 %, 0: none),
 * the next. Text turns alternate with choices from the pending ones, so every turn
 * takes the engine's whole path: access, choice guard, the turn's statements, the
 * generator's streamed deltas, the reply stored, the state patched. It records the
 * time from sending a turn to its `turn_result`.
 *
 * Without --credentials a bot sets itself up over REST; with it, bot N takes entry N of
 * that JSON array ({token, session_id}).
 *
 * Once every bot has joined, the bots measure for `--seconds` and write
 * `{done, measuring, bots, turns, turns_total, errors, turns_per_second, p50, p99}` to `--stats`
 * (`turns` in the window, `turns_total` since the first).
 *
 *   npx tsx loadtest/origchat.ts --endpoint ws://localhost:2567 --room origchat --numClients 100 --think 1000 --stats origchat.json
 */

const { values: args } = parseArgs({
  options: {
    think: { type: "string", default: "1000" },
    seconds: { type: "string", default: "30" },
    stats: { type: "string" },
    credentials: { type: "string" },
  },
  strict: false,
});
const THINK_MS = Number(args.think);
const MEASURE_MS = Number(args.seconds) * 1000;
const credentials: (PlayerCredentials | null)[] | undefined =
  typeof args.credentials === "string" ? JSON.parse(fs.readFileSync(args.credentials, "utf8")) : undefined;

const run = { joined: 0, failed: 0, left: 0, expected: 0, measuringSince: 0, done: false, turns: 0, turnsTotal: 0, errors: 0, latencies: [] as number[] };

/** Measuring starts shortly after the last bot joined or failed to. */
function settle() {
  if (run.joined + run.failed === run.expected) run.measuringSince = Date.now() + 2000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function writeStats() {
  if (typeof args.stats !== "string") return;
  const elapsed = run.measuringSince ? Math.min(Math.max(0, Date.now() - run.measuringSince), MEASURE_MS) / 1000 : 0;
  fs.writeFileSync(
    args.stats,
    JSON.stringify({
      done: run.done,
      measuring: run.measuringSince > 0 && Date.now() >= run.measuringSince && !run.done,
      bots: run.joined,
      left: run.left,
      turns: run.turns,
      turns_total: run.turnsTotal,
      errors: run.errors,
      turns_per_second: elapsed > 0 ? run.turns / elapsed : 0,
      p50: percentile(run.latencies, 50),
      p99: percentile(run.latencies, 99),
    }),
  );
}

setInterval(() => {
  if (run.measuringSince && !run.done && Date.now() - run.measuringSince >= MEASURE_MS) run.done = true;
  writeStats();
}, 1000);

const measuring = (at: number) => run.measuringSince > 0 && !run.done && at >= run.measuringSince;

cli(async (options: Options) => {
  run.expected = options.numClients;
  let room: Room;
  try {
    const player = credentials ? credentials[options.clientId] : await setUpPlayer(options.endpoint.replace(/^ws/, "http"), String(options.clientId));
    if (!player) throw new Error(`bot ${options.clientId}: no credentials`);
    const client = new Client(options.endpoint);
    client.auth.token = player.token;
    room = await client.joinOrCreate(options.roomName ?? "origchat", { session_id: player.session_id });
  } catch (err) {
    run.failed++;
    settle();
    throw err;
  }
  let answered: ((result: { pending_choices: { id: string }[] } | undefined) => void) | undefined;
  room.onMessage("turn_result", (result: { pending_choices: { id: string }[] }) => answered?.(result));
  room.onMessage("error", (e: { code: string }) => {
    run.errors++;
    console.error(`bot ${options.clientId}: error ${e.code}`);
    answered?.(undefined);
  });
  room.onMessage("delta", () => undefined);
  let left = false;
  room.onLeave((code: number) => {
    left = true;
    run.left++;
    console.log(`bot ${options.clientId}: left with ${code}`);
    answered?.(undefined);
  });
  run.joined++;
  settle();

  // The loadtest connects bots one after another, awaiting each: the playing runs on its own.
  const play = async () => {
    let pending: { id: string }[] = [];
    for (let n = 0; !left; n++) {
      const input = n % 2 === 1 && pending.length > 0 ? { type: "choice", choice_id: pending[n % pending.length]!.id } : { type: "text", text: `I look around the harbour, turn ${n}.` };
      const sentAt = Date.now();
      const t0 = performance.now();
      const result = await new Promise<{ pending_choices: { id: string }[] } | undefined>((resolve) => {
        answered = resolve;
        room.send("turn", { input });
      });
      const latency = performance.now() - t0;
      if (result) {
        run.turnsTotal++;
        pending = result.pending_choices;
        if (measuring(sentAt)) {
          run.turns++;
          run.latencies.push(latency);
        }
      }
      if (THINK_MS > 0) await sleep(THINK_MS * (0.5 + Math.random()));
    }
  };
  void play();
});
