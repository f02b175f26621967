import type { Character } from "../../entities/character.entity";
import type { LoreEntry, ReplyContext } from "../../infra/generator/generator";
import { DEFAULT_LORE_LIMITS, selectLore, type LoreLimits } from "./lore";

/**
 * A stored character as the chat generator takes it: the columns, and the card fields
 * that shape a reply (personality, scenario, system prompt, example dialogue,
 * post-history instructions; never creator_notes, creator or character_version, which
 * the card formats keep out of prompts), with the cards' name macros filled in.
 */

export type PersonaSource = Pick<Character, "name" | "description" | "greeting" | "card">;

/** What {{user}} becomes when the chat knows no name for the user (V1: a default must exist). */
export const DEFAULT_USER_NAME = "User";

export interface MacroNames {
  char: string;
  user: string;
}

/** {{char}} is the V3 `nickname` when the card has one, else the name. */
export function macroNames(c: PersonaSource, userName?: string): MacroNames {
  const nickname = c.card.nickname;
  return { char: typeof nickname === "string" && nickname.trim() ? nickname : c.name, user: userName?.trim() || DEFAULT_USER_NAME };
}

/** The card macros, in any case: {{char}}, <BOT> and <char> name the character; {{user}} and <USER> the user. One pass, so a name is never expanded again. */
export function fillMacros(text: string, names: MacroNames): string {
  return text.replace(/\{\{(char|user)\}\}|<(bot|char|user)>/gi, (_, braced?: string, angled?: string) =>
    (braced ?? angled)!.toLowerCase() === "user" ? names.user : names.char,
  );
}

/** `ReplyContext.character` of a stored character; empty card fields are left out (the generator then uses its own defaults). */
export function personaOf(c: PersonaSource, userName?: string): ReplyContext["character"] {
  const names = macroNames(c, userName);
  const field = (key: string) => {
    const value = c.card[key];
    return typeof value === "string" && value.trim() ? fillMacros(value, names) : undefined;
  };
  const persona: ReplyContext["character"] = { name: c.name, description: fillMacros(c.description, names), greeting: fillMacros(c.greeting, names) };
  const optional = {
    personality: field("personality"),
    scenario: field("scenario"),
    system_prompt: field("system_prompt"),
    example_dialogue: field("mes_example"),
    post_history_instructions: field("post_history_instructions"),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) persona[key as keyof typeof optional] = value;
  return persona;
}

/**
 * `ReplyContext.lore` of a stored character: the entries of its card's character book
 * that the recent messages (oldest first, the user's new input last) bring in, with
 * macros filled. No book, no lore.
 */
export function loreOf(c: PersonaSource, messages: string[], userName?: string, limits: LoreLimits = DEFAULT_LORE_LIMITS): LoreEntry[] {
  const names = macroNames(c, userName);
  return selectLore(c.card.character_book, messages, limits).map((entry) => ({ ...entry, content: fillMacros(entry.content, names) }));
}

/**
 * The chat engine's persona seam (`CharacterPersona` of the chat's context builder),
 * written against its shape. `fields` also gives the description and greeting with
 * their macros filled (V1: a prompt's description and first message fill {{char}} and
 * {{user}} too); the context builder spreads it after the columns, so they take their
 * place. The engine knows no user name for {{user}}, so it is DEFAULT_USER_NAME.
 */
export const cardPersona = {
  fields(character: PersonaSource): Omit<ReplyContext["character"], "name"> {
    const { name: _name, ...fields } = personaOf(character);
    return fields;
  },
  loreFor(character: PersonaSource, recent: { text: string }[]): LoreEntry[] {
    return loreOf(character, recent.map((turn) => turn.text));
  },
};
