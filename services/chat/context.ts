import type { Character } from "../../entities/character.entity";
import type { ChatKind, StoredChoice } from "../../entities/chat.entity";
import type { LoreEntry, ReplyContext, TurnRole } from "../../infra/generator/generator";
import type { EventView, Settings } from "./schemas";
import type { StoryExcerpt } from "./store";

/**
 * The runtime context of a reply: the one place where what the generator is told is
 * decided, for character chat and origchat alike.
 */

export interface TurnText {
  role: TurnRole;
  text: string;
}

/**
 * Card fields without a column of their own, as ReplyContext carries them; a persona
 * may also give the description and greeting as a prompt should read them (card macros
 * filled), which then take the columns' place.
 */
export type PersonaFields = Partial<Omit<ReplyContext["character"], "name">>;

/**
 * What a character brings to a reply beyond its name, description and greeting: the
 * Character Card's own fields and its character book (services/cards/persona.ts, which
 * arena.config.ts passes to TurnEngine). The default brings nothing.
 */
export interface CharacterPersona {
  /** personality, scenario, system_prompt, example_dialogue, post_history_instructions (and description, greeting). */
  fields(character: Character): PersonaFields;
  /** Lore entries (character book entries) whose keys appear in `recent` (oldest first, the new input last). */
  loreFor(character: Character, recent: TurnText[]): LoreEntry[];
}

export const NO_PERSONA: CharacterPersona = { fields: () => ({}), loreFor: () => [] };

/** Events of earlier turns a reply is written from. */
export const RECENT_TURN_EVENTS = 20;

/** Choices an origchat reply offers (character chat offers none). */
export const ORIGCHAT_CHOICES = 3;

export interface ContextSources {
  kind: ChatKind;
  character: Character | null;
  story: StoryExcerpt | null;
  openingId: string | null;
  /** The room's runtime meta: `stats` and setting `memos`. */
  meta: Record<string, unknown>;
  settings: Settings;
  /** Events before this turn, oldest first. */
  recent: EventView[];
  input: { type: "text" | "choice" | "situation"; text: string };
  /** The choices on offer when the input was written. */
  pendingChoices: StoredChoice[];
}

export function buildReplyContext(src: ContextSources, persona: CharacterPersona = NO_PERSONA): ReplyContext {
  const character = src.character;
  const turns: TurnText[] = src.recent.slice(-RECENT_TURN_EVENTS).map((e) => ({ role: e.role, text: e.text }));
  const opening = character && src.openingId ? character.startSets.find((s) => s.id === src.openingId) : undefined;
  return {
    character: character
      ? { name: character.name, description: character.description, greeting: character.greeting, ...persona.fields(character) }
      : { name: "Narrator", description: `The narrator of "${src.story?.title ?? "the story"}".`, greeting: "" },
    ...(src.story && { story: { title: src.story.title, summary: src.story.summary, excerpt: src.story.excerpt } }),
    turns,
    input: src.input,
    memos: [...(opening?.intro.trim() ? [opening.intro.trim()] : []), ...stringsOf(src.meta.memos)],
    stats: { ...numbersOf(character?.stats), ...numbersOf(src.meta.stats) },
    lore: character ? persona.loreFor(character, [...turns, { role: "user", text: src.input.text }]) : [],
    pending_choices: src.pendingChoices,
    offer_choices: src.kind === "origchat" ? ORIGCHAT_CHOICES : 0,
    settings: {
      temperature: src.settings.temperature,
      response_length_pref: src.settings.response_length_pref,
      next_event_len: src.settings.next_event_len,
    },
  };
}

const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v.trim() !== "") : []);

function numbersOf(value: unknown): Record<string, number> {
  if (!value || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === "number" && Number.isFinite(v))) as Record<string, number>;
}
