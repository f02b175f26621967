import { BuiltinGenerator } from "../../infra/generator/builtin";
import type { ReplyContext } from "../../infra/generator/generator";

/**
 * Reference for origchat turns: the built-in generator alone at zero pace writing one
 * origchat reply after another for `SECONDS` in this one process (pinned like the
 * server), from contexts shaped like the benchmark's (a narrator, the story excerpt,
 * up to 20 recent events, three choices asked for), every delta handed to a callback.
 * Prints replies/s and time per reply (p50, p99, ms).
 */
async function main() {
  const seconds = Number(process.env.SECONDS ?? 10);
  const generator = new BuiltinGenerator({ paceMs: 0 });
  const excerpt = "Mara lit the lamps along the harbour while the fog came in. ".repeat(20).slice(0, 1500);
  const times: number[] = [];
  const turns: ReplyContext["turns"] = [];
  let deltas = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  for (let n = 0; performance.now() < deadline; n++) {
    const context: ReplyContext = {
      character: { name: "Narrator", description: 'The narrator of "Harbour".', greeting: "" },
      story: { title: "Harbour", summary: "A lamplighter and a missing boat.", excerpt },
      turns: turns.slice(-20),
      input: { type: "text", text: `I look around the harbour, turn ${n}.` },
      memos: [],
      stats: {},
      lore: [],
      pending_choices: [],
      offer_choices: 3,
      settings: { temperature: 0.8, response_length_pref: "medium", next_event_len: 1 },
    };
    const t0 = performance.now();
    const reply = await generator.reply(context, { onDelta: () => void deltas++ });
    times.push(performance.now() - t0);
    turns.push({ role: "user", text: context.input.text }, { role: "narrator", text: reply.text });
  }
  const elapsed = (performance.now() - started) / 1000;
  const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
  process.stdout.write(
    JSON.stringify({ replies_per_second: times.length / elapsed, deltas_per_reply: deltas / times.length, p50: pct(times, 50), p99: pct(times, 99) }) + "\n",
  );
}

void main();
