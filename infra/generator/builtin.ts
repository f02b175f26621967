import { writeQuickCreate, writeReply } from "./builtin-chat";
import { extractNames } from "./builtin-extract";
import { writeStory } from "./builtin-story";
import {
  throwIfAborted,
  type CallOptions,
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
import { wordChunks } from "./text";

/** At zero pace the stream still yields to the event loop this often, so a disconnect is noticed. */
const YIELD_EVERY = 32;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The generator that needs nothing: deterministic templates and heuristics, seeded by
 * the input (same request, same text), with no network. Streamed text comes a word at
 * a time, `paceMs` apart, so that a person trying the server sees it arrive; tests and
 * benchmarks run it at zero pace.
 */
export class BuiltinGenerator implements Generator {
  readonly name = "builtin";

  constructor(private readonly options: { paceMs: number }) {}

  async story(request: StoryRequest, options: StreamOptions = {}): Promise<GeneratedStory> {
    throwIfAborted(options.signal);
    const story = writeStory(request);
    await this.stream(story.text, options);
    return story;
  }

  async reply(context: ReplyContext, options: StreamOptions = {}): Promise<Reply> {
    throwIfAborted(options.signal);
    const reply = writeReply(context);
    await this.stream(reply.text, options);
    return reply;
  }

  async extractCharacters(text: string, options: CallOptions = {}): Promise<ExtractedCharacter[]> {
    throwIfAborted(options.signal);
    return extractNames(text);
  }

  async quickCreate(request: QuickCreateRequest, options: CallOptions = {}): Promise<QuickCreateContent> {
    throwIfAborted(options.signal);
    return writeQuickCreate(request);
  }

  private async stream(text: string, { signal, onDelta }: StreamOptions): Promise<void> {
    const chunks = wordChunks(text);
    for (let i = 0; i < chunks.length; i++) {
      if (this.options.paceMs > 0) await sleep(this.options.paceMs);
      else if (i > 0 && i % YIELD_EVERY === 0) await tick();
      throwIfAborted(signal);
      onDelta?.(chunks[i]!);
    }
  }
}
