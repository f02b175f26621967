import crypto from "node:crypto";
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, RateLimitError } from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { z } from "zod";
import { extractedCharacters, jsonIn, offeredChoices, quickCreateContent } from "./content";
import {
  cancelled,
  GeneratorError,
  throwIfAborted,
  type CallOptions,
  type Choice,
  type ExtractedCharacter,
  type GeneratedStory,
  type Generator,
  type QuickCreateContent,
  type QuickCreateRequest,
  type Reply,
  type ReplyContext,
  type StoryRequest,
  type StreamOptions,
} from "./generator";
import { premiseOf, sentenceCase } from "./text";
import { choiceMessages, extractionMessages, quickCreateMessages, replyMessages, storyMessages, STORY_MAX_TOKENS } from "./prompts";

export interface OpenAIGeneratorOptions {
  baseURL: string;
  apiKey?: string;
  model: string;
  /** The longest one call may take, streaming included. */
  timeoutSeconds: number;
}

/** Extraction reads at most this much of a story: longer texts are cut, not refused. */
const MAX_EXTRACTION_INPUT = 40_000;

/**
 * Any OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp, Ollama,
 * LM Studio...) through the official client. Stories and replies stream; structured
 * answers (extraction, quick create, choices) are JSON checked against a schema. Every
 * call is bounded by the timeout and stops, upstream request included, when its signal
 * aborts. The client's own retries are off: a 429 reaches the caller as `rate_limited`
 * with the provider's Retry-After, so that the caller decides.
 */
export class OpenAIGenerator implements Generator {
  readonly name = "openai";
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAIGeneratorOptions) {
    this.client = new OpenAI({
      baseURL: options.baseURL,
      // Local servers need no key, but the client insists on one.
      apiKey: options.apiKey || "unused",
      maxRetries: 0,
      timeout: options.timeoutSeconds * 1000,
    });
  }

  async story(request: StoryRequest, options: StreamOptions = {}): Promise<GeneratedStory> {
    const text = await this.stream(storyMessages(request), options, { max_tokens: STORY_MAX_TOKENS[request.length ?? "medium"] });
    return { title: titleOf(request.prompt), text };
  }

  async reply(context: ReplyContext, options: StreamOptions = {}): Promise<Reply> {
    const text = await this.stream(replyMessages(context), options, { temperature: context.settings?.temperature });
    const count = context.offer_choices ?? 0;
    let choices: Choice[] = [];
    if (count > 0) {
      const offered = await this.json(choiceMessages(context, text, count), offeredChoices, options);
      choices = offered.choices.slice(0, count).map((label) => ({ id: `c-${crypto.randomBytes(4).toString("hex")}`, label }));
    }
    return { text, choices, lore_used: context.lore.map((l) => l.id) };
  }

  async extractCharacters(text: string, options: CallOptions = {}): Promise<ExtractedCharacter[]> {
    const answer = await this.json(extractionMessages(text.slice(0, MAX_EXTRACTION_INPUT)), extractedCharacters, options);
    const seen = new Set<string>();
    return answer.characters
      .filter((c) => !seen.has(c.name.toLowerCase()) && seen.add(c.name.toLowerCase()))
      .map((c) => ({ name: c.name, description: c.description, mentions: mentionsOf(text, c.name) }))
      .sort((a, b) => b.mentions - a.mentions)
      .slice(0, 20);
  }

  async quickCreate(request: QuickCreateRequest, options: CallOptions = {}): Promise<QuickCreateContent> {
    return this.json(quickCreateMessages(request), quickCreateContent, options);
  }

  private async stream(
    messages: ChatCompletionMessageParam[],
    { signal, onDelta }: StreamOptions,
    params: { max_tokens?: number; temperature?: number },
  ): Promise<string> {
    return this.bounded(signal, async (bound) => {
      const stream = await this.client.chat.completions.create({ model: this.options.model, messages, stream: true, ...params }, { signal: bound });
      let text = "";
      let finished = false;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content;
        if (delta) {
          text += delta;
          onDelta?.(delta);
        }
        if (choice?.finish_reason) finished = true;
      }
      throwIfAborted(bound);
      if (!finished) throw new GeneratorError("provider_error", "the model's stream ended before the answer was finished");
      if (!text.trim()) throw new GeneratorError("provider_error", "the model answered with no text");
      return text;
    });
  }

  private async json<S extends z.ZodType>(messages: ChatCompletionMessageParam[], schema: S, { signal }: CallOptions): Promise<z.output<S>> {
    return this.bounded(signal, async (bound) => {
      const completion = await this.client.chat.completions.create(
        { model: this.options.model, messages, response_format: { type: "json_object" } },
        { signal: bound },
      );
      const parsed = schema.safeParse(jsonIn(completion.choices[0]?.message?.content ?? ""));
      if (!parsed.success) throw new GeneratorError("provider_error", "the model's answer was not in the expected form");
      return parsed.data;
    });
  }

  /** Runs `work` under the timeout and the caller's signal, with every failure as a GeneratorError. */
  private async bounded<T>(signal: AbortSignal | undefined, work: (bound: AbortSignal) => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutSeconds * 1000);
    const bound = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    try {
      return await work(bound);
    } catch (err) {
      throw this.translate(err, signal, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private translate(err: unknown, signal: AbortSignal | undefined, deadline: AbortSignal): GeneratorError {
    if (signal?.aborted) return cancelled();
    if (deadline.aborted || err instanceof APIConnectionTimeoutError) {
      return new GeneratorError("timeout", `the model did not answer within ${this.options.timeoutSeconds} s`);
    }
    if (err instanceof GeneratorError) return err;
    if (err instanceof RateLimitError) return new GeneratorError("rate_limited", "the model provider is rate limiting requests", retryAfter(err.headers));
    if (err instanceof APIConnectionError) return new GeneratorError("provider_error", "the model provider could not be reached");
    if (err instanceof APIError && err.status) return new GeneratorError("provider_error", `the model provider answered ${err.status}`);
    return new GeneratorError("provider_error", "the model provider failed while answering");
  }
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** How often `text` names a character: the full name, else its first word (at least once, since the model found it). */
function mentionsOf(text: string, name: string): number {
  const count = (needle: string) => text.split(new RegExp(`(?<![\\p{L}])${needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}])`, "u")).length - 1;
  const full = count(name);
  const first = name.split(/\s+/)[0]!;
  return Math.max(1, full > 0 ? Math.max(full, first !== name ? count(first) : 0) : count(first));
}

/** A stored story needs a title; the premise's opening words serve. */
function titleOf(prompt: string): string {
  const words = premiseOf(prompt).split(" ");
  return sentenceCase(words.slice(0, 8).join(" ").replace(/[.,;:!?…]+$/, "")) + (words.length > 8 ? "…" : "");
}
