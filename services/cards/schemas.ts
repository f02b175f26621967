import { z } from "zod";

/**
 * Character Card shapes (V1 flat, V2 and V3 under `data`), as zod schemas that both
 * check an import and document the routes. Objects are loose on purpose: a card may
 * carry fields of later versions or of other applications, and they are kept.
 */

const text = z.string();
const strings = z.array(z.string());
const record = z.record(z.string(), z.unknown());

/** A lore entry: the fields whose type the lore rules depend on are checked, the rest kept as given. */
export const characterBookEntry = z
  .looseObject({
    keys: strings.optional(),
    content: text.optional(),
    extensions: record.optional(),
    enabled: z.boolean().optional(),
    insertion_order: z.number().optional(),
    case_sensitive: z.boolean().nullish(),
    name: text.nullish(),
    priority: z.number().nullish(),
    id: z.union([z.number(), z.string()]).nullish(),
    comment: text.nullish(),
    selective: z.boolean().nullish(),
    secondary_keys: strings.nullish(),
    constant: z.boolean().nullish(),
    position: text.nullish(),
    use_regex: z.boolean().nullish(),
  })
  .meta({ id: "CharacterBookEntry" });

export const characterBook = z
  .looseObject({
    name: text.nullish(),
    description: text.nullish(),
    scan_depth: z.number().nullish(),
    token_budget: z.number().nullish(),
    recursive_scanning: z.boolean().nullish(),
    extensions: record.optional(),
    entries: z.array(characterBookEntry),
  })
  .meta({ id: "CharacterBook" });

/** The fields of a V1 card, which V2 and V3 keep under `data`. */
const v1Fields = {
  name: text,
  description: text.optional(),
  personality: text.optional(),
  scenario: text.optional(),
  first_mes: text.optional(),
  mes_example: text.optional(),
};

export const cardData = z
  .looseObject({
    ...v1Fields,
    creator_notes: text.optional(),
    system_prompt: text.optional(),
    post_history_instructions: text.optional(),
    alternate_greetings: strings.optional(),
    character_book: characterBook.nullish(),
    tags: strings.optional(),
    creator: text.optional(),
    character_version: text.optional(),
    extensions: record.optional(),
  })
  .meta({ id: "CharacterCardData" });

export const cardV1 = z.looseObject({ ...v1Fields, tags: strings.optional() }).meta({ id: "CharacterCardV1" });
export const cardV2 = z.looseObject({ spec: z.literal("chara_card_v2"), spec_version: text.optional(), data: cardData }).meta({ id: "CharacterCardV2" });
export const cardV3 = z.looseObject({ spec: z.literal("chara_card_v3"), spec_version: text.optional(), data: cardData }).meta({ id: "CharacterCardV3" });

/** What POST /characters/import takes as JSON (documentation: the import reads the bytes itself). */
export const importCardBody = z.union([cardV2, cardV3, cardV1]).meta({ id: "CharacterCardImport" });

/** What GET /characters/{id}/card answers: every V2 field, always present. */
export const cardExport = z
  .object({
    spec: z.literal("chara_card_v2"),
    spec_version: z.literal("2.0"),
    data: z.looseObject({
      name: text,
      description: text,
      personality: text,
      scenario: text,
      first_mes: text,
      mes_example: text,
      creator_notes: text,
      system_prompt: text,
      post_history_instructions: text,
      alternate_greetings: strings,
      character_book: characterBook.nullish(),
      tags: strings,
      creator: text,
      character_version: text,
      extensions: record,
    }),
  })
  .meta({ id: "CharacterCardExport" });
export type CardExport = z.infer<typeof cardExport>;

export const cardQuery = z.object({ format: z.enum(["json", "png"]).optional() });
