import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { QuickCreateRequest, ReplyContext, StoryRequest } from "./generator";

/**
 * What the OpenAI-compatible provider asks a model, one function per generator call.
 * User text always travels as data inside a user message, never spliced into the
 * system instructions.
 */

const WORDS = { short: "about 300", medium: "about 700", long: "about 1500" } as const;
export const STORY_MAX_TOKENS = { short: 800, medium: 1600, long: 3200 } as const;

export function storyMessages(req: StoryRequest): ChatCompletionMessageParam[] {
  const length = req.length ?? "medium";
  return [
    {
      role: "system",
      content:
        `You are a novelist. Write one complete short story of ${WORDS[length]} words from the reader's prompt` +
        `${req.genre ? `, in the ${req.genre} genre` : ""}. Give the main characters names. ` +
        "Write plain prose in paragraphs separated by blank lines: no title, no headings, no commentary before or after the story.",
    },
    { role: "user", content: req.prompt },
  ];
}

const section = (title: string, body: string | undefined) => (body && body.trim() ? `\n\n## ${title}\n${body.trim()}` : "");

export function replyMessages(ctx: ReplyContext): ChatCompletionMessageParam[] {
  const c = ctx.character;
  const length = ctx.settings?.response_length_pref ?? "medium";
  const ownSystem =
    `You are ${c.name}, a character in an interactive story. Stay in character; write ${c.name}'s next reply to the user, ` +
    "with actions in *asterisks* and speech in quotes. Never speak for the user.";
  // A card's system prompt replaces ours; where it says {{original}} (Character Card V2), ours goes.
  const system =
    (c.system_prompt?.trim() ? c.system_prompt.trim().replace(/\{\{original\}\}/gi, () => ownSystem) : ownSystem) +
    ` Keep the reply ${length === "short" ? "to one or two sentences" : length === "long" ? "rich, up to four paragraphs" : "to one short paragraph"}.` +
    section("Character", `${c.name}: ${c.description}`) +
    section("Personality", c.personality) +
    section("Scenario", c.scenario) +
    section("Story", ctx.story && `${ctx.story.title}: ${ctx.story.summary}\n${ctx.story.excerpt}`) +
    section("Setting notes", ctx.memos.join("\n")) +
    section("Current stats", Object.entries(ctx.stats).map(([k, v]) => `${k}: ${v}`).join("\n")) +
    section("Lore", ctx.lore.map((l) => `${l.name}: ${l.content}`).join("\n")) +
    section("Example dialogue", c.example_dialogue);
  const history: ChatCompletionMessageParam[] = ctx.turns.map((t) =>
    t.role === "user" ? { role: "user", content: t.text } : { role: "assistant", content: t.text },
  );
  const input =
    ctx.input.type === "choice" ? `(The user chooses: ${ctx.input.text})` : ctx.input.type === "situation" ? `(Situation: ${ctx.input.text})` : ctx.input.text;
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: system },
    ...(c.greeting && ctx.turns.length === 0 ? [{ role: "assistant" as const, content: c.greeting }] : []),
    ...history,
    { role: "user", content: input },
  ];
  if (c.post_history_instructions?.trim()) messages.push({ role: "system", content: c.post_history_instructions.trim() });
  return messages;
}

export function choiceMessages(ctx: ReplyContext, reply: string, count: number): ChatCompletionMessageParam[] {
  return [
    {
      role: "system",
      content:
        `Offer the user exactly ${count} short options (at most eight words each) for what to do next in this interactive story. ` +
        'Answer with JSON only: {"choices": ["...", "..."]}.',
    },
    { role: "user", content: `${ctx.character.name} just said:\n${reply}` },
  ];
}

export function extractionMessages(text: string): ChatCompletionMessageParam[] {
  return [
    {
      role: "system",
      content:
        "List the characters (people, or beings that act like people) of the story the user gives you, most important first, at most 20. " +
        "Use each character's name as the story spells it. Describe each in one sentence taken from the story. " +
        'Answer with JSON only: {"characters": [{"name": "...", "description": "..."}]}.',
    },
    { role: "user", content: text },
  ];
}

export function quickCreateMessages(req: QuickCreateRequest): ChatCompletionMessageParam[] {
  return [
    {
      role: "system",
      content:
        "You design characters for an interactive story app. From the user's character sheet, write: a description (two or three sentences); " +
        "a greeting (the character's first message, actions in *asterisks*, speech in quotes); one to three start sets (a title, an intro " +
        "that sets the scene, and the character's first line); exactly two endings (a title, the condition under which the story reaches it, " +
        "and its content); and up to five one-word tags. Answer with JSON only: " +
        '{"description": "...", "greeting": "...", "start_sets": [{"title": "...", "intro": "...", "first_line": "..."}], ' +
        '"endings": [{"title": "...", "condition": "...", "content": "..."}, {"title": "...", "condition": "...", "content": "..."}], "tags": ["..."]}.',
    },
    { role: "user", content: JSON.stringify(req) },
  ];
}
