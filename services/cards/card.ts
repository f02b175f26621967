import type { Character, StartSet } from "../../entities/character.entity";
import type { CreateCharacterInput } from "../characters.schemas";
import { DomainError, type FieldError } from "../errors";
import { inputProblems, toFieldErrors } from "../validation";
import { cardData, cardV1, type CardExport } from "./schemas";

/**
 * The mapping between Character Cards and characters, both ways. `name`, `description`,
 * `first_mes` (the greeting), `alternate_greetings` (one start set each, in order) and
 * `tags` have columns; everything else a card's data carries (personality, scenario,
 * character_book, extensions, fields of V3 or of other applications) is kept verbatim
 * in the `card` column, so that an export gives back every field an import was given.
 */

/** The card fields that live in columns; the rest of a card's data is its `card` column. */
const COLUMN_FIELDS = new Set(["name", "description", "first_mes", "alternate_greetings", "tags"]);

/** Limits of the fields with columns: every character list carries them (the list cache too). */
export const CARD_LIMITS = { name: 64, description: 32_000, greeting: 16_000, alternateGreetings: 32, tags: 64, tag: 64 };

const V1_TEXT_FIELDS = ["description", "personality", "scenario", "first_mes", "mes_example"];

export const invalidCard = (detail: string, errors?: FieldError[]) => new DomainError(400, "invalid_card", detail, errors);

export interface ImportedCard {
  /** Which form the card came in. */
  spec: "chara_card_v1" | "chara_card_v2" | "chara_card_v3";
  character: CreateCharacterInput;
  /** The card's data without the column fields. */
  card: Record<string, unknown>;
}

/**
 * A parsed JSON value as a character: V2 and V3 cards by their `spec`, V1 by its flat
 * fields. Anything else is 400 `invalid_card` saying why. Nothing is trimmed or
 * normalised, so that what was given comes back.
 */
export function cardFromJson(value: unknown): ImportedCard {
  const problems = inputProblems(value);
  if (problems.length > 0) throw invalidCard("The card has text a card cannot hold.", problems);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidCard("A character card is a JSON object; this is not one.");
  const card = value as Record<string, unknown>;

  let spec: ImportedCard["spec"];
  let data: Record<string, unknown>;
  if ("spec" in card) {
    if (card.spec !== "chara_card_v2" && card.spec !== "chara_card_v3") {
      throw invalidCard(`The card's spec ${JSON.stringify(card.spec).slice(0, 80)} is not one this server reads: chara_card_v2 or chara_card_v3 (or a V1 card, without spec).`);
    }
    if (card.data === null || typeof card.data !== "object" || Array.isArray(card.data)) throw invalidCard(`A ${card.spec} card keeps its fields in the object "data", which this card lacks.`);
    spec = card.spec;
    data = checked(cardData, card.data, "data");
  } else {
    const flat = V1_TEXT_FIELDS.some((f) => typeof card[f] === "string");
    if (typeof card.name !== "string" || !flat) {
      throw invalidCard(
        "This JSON has no recognisable card fields: a card has spec chara_card_v2 or chara_card_v3 with its fields under data, or is a V1 card with name and description, personality, scenario, first_mes or mes_example.",
      );
    }
    spec = "chara_card_v1";
    data = checked(cardV1, card, "");
  }
  return { spec, character: toCharacterInput(data), card: Object.fromEntries(Object.entries(data).filter(([key]) => !COLUMN_FIELDS.has(key))) };
}

function checked(schema: typeof cardData | typeof cardV1, data: unknown, prefix: string): Record<string, unknown> {
  // With the input in each issue, a wrong type reads "must be a string" rather than "is required".
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const errors = toFieldErrors(result.error, prefix);
    throw invalidCard(`The card's fields are not what the card format says: ${errors.map((e) => `${e.field} ${e.message}`).slice(0, 5).join("; ")}.`, errors);
  }
  // The parse keeps unknown fields; the original is returned so that nothing is reshaped.
  return data as Record<string, unknown>;
}

function toCharacterInput(data: Record<string, unknown>): CreateCharacterInput {
  const name = data.name as string;
  const description = (data.description as string | undefined) ?? "";
  const greeting = (data.first_mes as string | undefined) ?? "";
  const greetings = (data.alternate_greetings as string[] | undefined) ?? [];
  const tags = (data.tags as string[] | undefined) ?? [];
  const L = CARD_LIMITS;
  if (!name.trim()) throw invalidCard("The card has no name.", [{ field: "name", message: "must not be empty" }]);
  const tooLong: FieldError[] = [];
  if ([...name].length > L.name) tooLong.push({ field: "name", message: `must have at most ${L.name} characters` });
  if (description.length > L.description) tooLong.push({ field: "description", message: `must have at most ${L.description} characters` });
  if (greeting.length > L.greeting) tooLong.push({ field: "first_mes", message: `must have at most ${L.greeting} characters` });
  if (greetings.length > L.alternateGreetings) tooLong.push({ field: "alternate_greetings", message: `must have at most ${L.alternateGreetings} items` });
  greetings.forEach((g, i) => g.length > L.greeting && tooLong.push({ field: `alternate_greetings.${i}`, message: `must have at most ${L.greeting} characters` }));
  if (tags.length > L.tags) tooLong.push({ field: "tags", message: `must have at most ${L.tags} items` });
  tags.forEach((t, i) => t.length > L.tag && tooLong.push({ field: `tags.${i}`, message: `must have at most ${L.tag} characters` }));
  if (tooLong.length > 0) throw invalidCard(`The card is larger than a character here holds: ${tooLong.map((e) => `${e.field} ${e.message}`).slice(0, 5).join("; ")}.`, tooLong);
  return {
    name,
    description,
    greeting,
    is_public: false,
    tags,
    start_sets: greetings.map((first_line, i) => ({ title: `Alternate greeting ${i + 1}`, intro: "", first_line })),
  };
}

/** A start set as a card greeting: its intro, when it has one, sets the scene before the first line. */
const greetingOf = (s: StartSet) => (s.intro.trim() ? `${s.intro}\n\n${s.first_line}` : s.first_line);

/** The character as a V2 card: every V2 field present, the card's own fields as imported, the columns as they are now. */
export function toCardV2(c: Pick<Character, "name" | "description" | "greeting" | "startSets" | "tags" | "card">): CardExport {
  return {
    spec: "chara_card_v2",
    spec_version: "2.0",
    data: {
      personality: "",
      scenario: "",
      mes_example: "",
      creator_notes: "",
      system_prompt: "",
      post_history_instructions: "",
      creator: "",
      character_version: "",
      extensions: {},
      ...c.card,
      name: c.name,
      description: c.description,
      first_mes: c.greeting,
      alternate_greetings: c.startSets.map(greetingOf),
      tags: c.tags,
    },
  };
}
