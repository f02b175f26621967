import { BuiltinGenerator } from "../../infra/generator/builtin";

/**
 * Reference for story streams: the built-in generator alone at zero pace, one story
 * after another for `seconds` in this one process (pinned like the server), with the
 * benchmark's prompts and length. Prints stories/s, and time to first delta and time
 * per story (p50, p99, ms).
 */
async function main() {
  const seconds = Number(process.env.SECONDS ?? 10);
  const length = (process.env.LENGTH ?? "medium") as "short" | "medium" | "long";
  const generator = new BuiltinGenerator({ paceMs: 0 });
  const first: number[] = [];
  const whole: number[] = [];
  let deltas = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  for (let i = 0; performance.now() < deadline; i++) {
    const t0 = performance.now();
    let firstAt = 0;
    await generator.story({ prompt: `bench story ${i}`, length }, { onDelta: () => {
      if (!firstAt) firstAt = performance.now();
      deltas++;
    } });
    first.push(firstAt - t0);
    whole.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
  process.stdout.write(
    JSON.stringify({
      stories_per_second: whole.length / elapsed,
      deltas_per_story: deltas / whole.length,
      first_p50: pct(first, 50),
      first_p99: pct(first, 99),
      story_p50: pct(whole, 50),
      story_p99: pct(whole, 99),
    }) + "\n",
  );
}

void main();
