import type { Choice, QuickCreateContent, QuickCreateRequest, Reply, ReplyContext } from "./generator";
import { Rng } from "./seeded";
import { fill } from "./text";

/**
 * The built-in character voice: replies written from the runtime context (the input,
 * the latest setting memo, the strongest stat, the lore entries it was given, which it
 * names in the text) and quick-create content from the five fields. Same context, same
 * words.
 */

const STOP = new Set(
  "the a an and but or so if then that this with from into onto about what when where which who whom your you yours me my mine our we they them their there here have has had was were are is be been being will would could should can just very really not no yes okay please tell know think want like some any more most much many".split(" "),
);

/** The most telling word of what the user wrote: the longest that is not a function word. */
function keyword(text: string): string | undefined {
  const words = (text.toLowerCase().match(/\p{L}[\p{L}'’-]{3,}/gu) ?? []).filter((w) => !STOP.has(w));
  return words.sort((a, b) => b.length - a.length || a.localeCompare(b))[0];
}

const GESTURES = [
  "{name} tilts their head, considering you",
  "{name} sets down what they were holding",
  "{name} glances toward the door, then back at you",
  "a slow smile crosses {name}'s face",
  "{name} leans closer, lowering their voice",
  "{name} is quiet for a moment",
];

const OPENERS: Record<ReplyContext["input"]["type"], string[]> = {
  text: ["{echo}", "You want to talk about {topic}? Then let's.", "Hm. {echo}", "I wondered when you'd ask about {topic}."],
  choice: ["So that's your choice. {echo}", "Bold. {echo}", "If that's what you've decided, I'm with you."],
  situation: ["Well. That changes things.", "I didn't see that coming. Did you?", "Stay close. This could go either way."],
};

const MIDDLES = [
  "There's more to {topic} than most people see, and I've had a long time to look.",
  "I'll be honest with you, because you've earned that much.",
  "Whatever happens next, remember that I warned you it wouldn't be simple.",
  "People around here talk, but they rarely say anything worth hearing.",
  "I've been thinking about what you said earlier.",
  "If we're careful, we might even enjoy this.",
];

const CLOSERS = ["What would you do in my place?", "Tell me what you really want.", "Shall we?", "Your move.", "Are you sure you're ready for that?"];

const CHOICE_LABELS = [
  "Ask {name} about {topic}",
  "Stay quiet and watch what {name} does",
  "Offer to help",
  "Tell {name} the truth",
  "Leave before it gets worse",
  "Follow {name}",
  "Change the subject",
];

const LENGTH = { short: 1, medium: 2, long: 4 } as const;

export function writeReply(ctx: ReplyContext): Reply {
  const name = ctx.character.name;
  const rng = new Rng("reply", name, ctx.input, ctx.turns.length, ctx.memos, ctx.stats);
  const topic = keyword(ctx.input.text) ?? "this";
  const echo = ctx.input.type === "choice" ? `"${ctx.input.text}" it is.` : quoteBack(ctx.input.text);
  const values = { name, topic, echo };
  const parts: string[] = [];

  const memo = ctx.memos.at(-1);
  parts.push(`*${memo ? `${memo.replace(/[.!?]*$/, ".")} ` : ""}${fill(rng.pick(GESTURES), values)}.*`);
  for (const entry of ctx.lore) {
    parts.push(`*${name} recalls what is told of ${entry.name}: ${entry.content.trim()}*`);
  }
  const mood = strongestStat(ctx.stats);
  if (mood) parts.push(`*Something in ${name}'s manner says that ${mood.name} runs ${mood.value > 0 ? "high" : "low"} between you.*`);

  const speech = [fill(rng.pick(OPENERS[ctx.input.type]), values)];
  const middles = rng.sample(MIDDLES, LENGTH[ctx.settings?.response_length_pref ?? "medium"]);
  speech.push(...middles.map((m) => fill(m, values)));
  speech.push(rng.pick(CLOSERS));
  parts.push(`"${speech.join(" ")}"`);

  const count = Math.min(ctx.offer_choices ?? 0, CHOICE_LABELS.length);
  const choices: Choice[] = rng.sample(CHOICE_LABELS, count).map((label) => ({ id: `c-${rng.id()}`, label: fill(label, values) }));
  return { text: parts.join("\n\n"), choices, lore_used: ctx.lore.map((l) => l.id) };
}

function quoteBack(text: string): string {
  const trimmed = text.replace(/\s+/g, " ").trim();
  if (!trimmed) return "Go on.";
  const short = trimmed.length > 60 ? `${trimmed.slice(0, 60).replace(/\s+\S*$/, "")}…` : trimmed.replace(/[.!?]+$/, "");
  return `"${short}", you say.`;
}

function strongestStat(stats: Record<string, number>): { name: string; value: number } | undefined {
  const [best] = Object.entries(stats)
    .filter(([, v]) => v !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0].localeCompare(b[0]));
  return best && { name: best[0], value: best[1] };
}

const GREETINGS: Record<string, string[]> = {
  romance: ["Oh, it's you. I was hoping you'd come by. Sit, please. I saved you the seat by the window."],
  comedy: ["Finally, an audience! Don't worry, I only bite on Tuesdays. It's Tuesday, by the way. Kidding. Mostly."],
  dark: ["You shouldn't have come here. But since you have, close the door behind you. Quickly."],
  fantasy: ["Well met, traveller. The road has brought you far, and the road rarely does anything without a reason."],
  mystery: ["You noticed it too, didn't you? Good. Then you're the only other person in this town paying attention."],
  casual: ["Hey! Perfect timing. I was just about to put the kettle on. How's your day been?"],
};

const GENERIC_GREETING = "Hello there. I had a feeling we'd meet today. Come in, and tell me what brings you.";

export function writeQuickCreate(req: QuickCreateRequest): QuickCreateContent {
  const rng = new Rng("quick-create", req);
  const intro = req.one_line_intro.replace(/\s+/g, " ").trim().replace(/[.!?]+$/, "");
  const lowered = intro.charAt(0).toLowerCase() + intro.slice(1);
  const style = req.style_slug.toLowerCase();
  const greetingLine = rng.pick(GREETINGS[style] ?? [GENERIC_GREETING]);
  const values = { name: req.name, intro: lowered, style: style.replace(/-/g, " ") };
  return {
    description: fill("{name}: {intro}. Told in a {style} style, {name} keeps their own counsel until someone earns it, and remembers every kindness and every slight.", values),
    greeting: `*${req.name} looks up as you arrive.* "${greetingLine}"`,
    start_sets: [
      {
        title: "First Meeting",
        intro: fill("You meet {name} for the first time. You have heard only this much: {intro}.", values),
        first_line: `"${greetingLine.split(/(?<=[.!?])\s/)[0]}"`,
      },
      {
        title: rng.pick(["A Favour Asked", "After Dark", "An Old Debt"]),
        intro: fill("{name} has sought you out, which {name} rarely does. Something is wrong, and {name} will not say what until you are alone.", values),
        first_line: `"Not here. Walk with me, and don't look back."`,
      },
    ],
    endings: [
      {
        title: "Trust Earned",
        condition: fill("The player keeps faith with {name} through every choice that matters.", values),
        content: fill("{name} finally tells you everything, and for the first time in a long while, {name} is not alone with it.", values),
      },
      {
        title: "Parting Ways",
        condition: fill("The player breaks their word to {name}, or walks away when {name} needs them.", values),
        content: fill("{name} lets you go without a word. Later, you will wonder what would have happened if you had stayed.", values),
      },
    ],
    tags: suggestedTags(req),
  };
}

function suggestedTags(req: QuickCreateRequest): string[] {
  const fromIntro = (req.one_line_intro.toLowerCase().match(/\p{L}{5,}/gu) ?? []).filter((w) => !STOP.has(w)).slice(0, 2);
  return [...new Set([req.style_slug, req.audience_slug, ...fromIntro].map((t) => t.toLowerCase()))];
}
