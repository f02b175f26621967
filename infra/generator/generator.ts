/**
 * Text generation, behind one interface so that stories, character extraction, quick
 * create and the chats do not care whether a model or the built-in templates answer.
 * Every call takes an AbortSignal; streamed calls hand each piece of text to `onDelta`
 * as it is produced and resolve to the whole result. Failures are GeneratorErrors,
 * whose code a service maps to a problem document or an SSE `error` event.
 */

export type GeneratorErrorCode = "timeout" | "rate_limited" | "provider_error" | "cancelled";

export class GeneratorError extends Error {
  constructor(
    readonly code: GeneratorErrorCode,
    message: string,
    /** For `rate_limited`: what the provider asked us to wait, when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "GeneratorError";
  }
}

export interface CallOptions {
  /** Aborting it stops the work (and any upstream request); the call rejects with `cancelled`. */
  signal?: AbortSignal;
}

export interface StreamOptions extends CallOptions {
  /** Each piece of text, in order, as soon as it exists; together they are the result's text. */
  onDelta?: (text: string) => void;
}

export type StoryLength = "short" | "medium" | "long";

export interface StoryRequest {
  prompt: string;
  genre?: string;
  length?: StoryLength;
}

export interface GeneratedStory {
  title: string;
  /** The concatenation of every delta. */
  text: string;
}

export interface ExtractedCharacter {
  name: string;
  /** One or two sentences about the character, from the text. */
  description: string;
  /** How often the text names the character (at least 1). */
  mentions: number;
}

export interface QuickCreateRequest {
  name: string;
  one_line_intro: string;
  audience_slug: string;
  style_slug: string;
  tags: string[];
}

export interface QuickCreateContent {
  description: string;
  greeting: string;
  /** At least one. */
  start_sets: { title: string; intro: string; first_line: string }[];
  /** Exactly two. */
  endings: { title: string; condition: string; content: string }[];
  /** Suggested tags; the caller merges them with the user's own. */
  tags: string[];
}

export interface Choice {
  id: string;
  label: string;
}

/** A lore entry (a character book entry whose keys matched): background the reply may use. */
export interface LoreEntry {
  id: string;
  /** What to call the entry; a card's entry `name`, or its first key. */
  name: string;
  keys: string[];
  content: string;
}

export type TurnRole = "user" | "character" | "narrator";

/**
 * Everything a chat or origchat reply is written from: who speaks, what was said, and
 * the runtime state of the room. Recent turns are oldest first and do not include
 * `input`, the user's new turn.
 */
export interface ReplyContext {
  character: {
    name: string;
    description: string;
    greeting: string;
    /** Card fields without a column of their own, when the character has them. */
    personality?: string;
    scenario?: string;
    system_prompt?: string;
    example_dialogue?: string;
    post_history_instructions?: string;
  };
  /** The story an origchat session plays in. */
  story?: { title: string; summary: string; excerpt: string };
  turns: { role: TurnRole; text: string }[];
  /** `choice` inputs carry the chosen choice's label as text. */
  input: { type: "text" | "choice" | "situation"; text: string };
  /** Setting memos of the start set and room meta, in order. */
  memos: string[];
  stats: Record<string, number>;
  lore: LoreEntry[];
  /** Choices the user had on offer when writing `input`. */
  pending_choices: Choice[];
  /** How many choices the reply should offer next (0 or absent: none). */
  offer_choices?: number;
  settings?: {
    temperature?: number;
    response_length_pref?: "short" | "medium" | "long";
    next_event_len?: number;
  };
}

export interface Reply {
  text: string;
  /** Choices the reply offers; they become the session's pending choices. */
  choices: Choice[];
  /** Ids of the lore entries the reply was written with. */
  lore_used: string[];
}

export interface Generator {
  /** `builtin` or `openai`: for logs and metrics. */
  readonly name: string;
  story(request: StoryRequest, options?: StreamOptions): Promise<GeneratedStory>;
  reply(context: ReplyContext, options?: StreamOptions): Promise<Reply>;
  extractCharacters(text: string, options?: CallOptions): Promise<ExtractedCharacter[]>;
  quickCreate(request: QuickCreateRequest, options?: CallOptions): Promise<QuickCreateContent>;
}

/** The error for an aborted call, whichever implementation noticed. */
export const cancelled = () => new GeneratorError("cancelled", "the generation was cancelled");

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}
