import { z } from "zod";
import type { Character } from "../entities/character.entity";
import { pageQuery } from "./pagination";

const itemId = z.string().trim().min(1).max(64);

/** Ids within one list must differ, since chats open a start set and reach an ending by id. */
const uniqueIds = <T extends { id?: string }>(items: T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (item.id === undefined) return;
    if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: "is used twice" });
    seen.add(item.id);
  });
};

export const startSetInput = z.strictObject({
  id: itemId.optional(),
  title: z.string().trim().min(1).max(200),
  intro: z.string().max(4000),
  first_line: z.string().max(2000),
});
export const endingInput = z.strictObject({
  id: itemId.optional(),
  title: z.string().trim().min(1).max(200),
  condition: z.string().max(2000),
  content: z.string().max(4000),
});

const name = z.string().trim().min(1).max(64);
const characterClass = z.string().trim().min(1).max(32);
const description = z.string().max(4000);
const greeting = z.string().max(2000);
const tags = z.array(z.string().trim().min(1).max(32)).max(20);
const startSets = z.array(startSetInput).max(10).superRefine(uniqueIds);
const endings = z.array(endingInput).max(10).superRefine(uniqueIds);

export const createCharacterBody = z
  .strictObject({
    name,
    class: characterClass.optional(),
    background_id: z.uuid().optional(),
    description: description.optional(),
    greeting: greeting.optional(),
    is_public: z.boolean().optional(),
    tags: tags.optional(),
    start_sets: startSets.optional(),
    endings: endings.optional(),
  })
  .meta({ id: "CreateCharacterRequest" });
export type CreateCharacterInput = z.output<typeof createCharacterBody>;

/** Only what an owner may edit: position, zone, stats and owner change elsewhere or never. */
export const updateCharacterBody = z
  .strictObject({
    name: name.optional(),
    class: characterClass.optional(),
    background_id: z.uuid().nullable().optional(),
    description: description.optional(),
    greeting: greeting.optional(),
    is_public: z.boolean().optional(),
    tags: tags.optional(),
    image_url: z.url({ protocol: /^https?$/ }).max(2048).nullable().optional(),
    one_line_intro: z.string().trim().max(200).nullable().optional(),
    start_sets: startSets.optional(),
    endings: endings.optional(),
  })
  .meta({ id: "UpdateCharacterRequest" });
export type UpdateCharacterInput = z.output<typeof updateCharacterBody>;

const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be a slug: up to 32 letters, digits, - and _");

/** Quick create's one-shot payload: the five fields are required (seed 004, flow 2). */
export const quickCreateBody = z
  .strictObject({
    image_url: z.url({ protocol: /^https?$/ }).max(2048),
    audience_slug: slug,
    style_slug: slug,
    name,
    one_line_intro: z.string().trim().min(1).max(200),
    tags: tags.optional(),
    request_id: z.string().regex(/^[\x21-\x7e]{1,64}$/, "must be 1 to 64 visible ASCII characters").optional(),
  })
  .meta({ id: "QuickCreateCharacterRequest" });
export type QuickCreateInput = z.output<typeof quickCreateBody>;

export const characterIdParams = z.object({ id: z.string() });

export const publicCharactersQuery = pageQuery.extend({
  q: z.string().trim().max(64).optional(),
  tag: z.string().trim().min(1).max(32).optional(),
});
export type PublicCharactersQuery = z.output<typeof publicCharactersQuery>;

const startSetView = z.object({ id: z.string(), title: z.string(), intro: z.string(), first_line: z.string() });
const endingView = z.object({ id: z.string(), title: z.string(), condition: z.string(), content: z.string() });

export const publicCharacterView = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid(),
    name: z.string(),
    class: z.string(),
    background_id: z.uuid().nullable(),
    description: z.string(),
    greeting: z.string(),
    image_url: z.string().nullable(),
    audience_slug: z.string().nullable(),
    style_slug: z.string().nullable(),
    one_line_intro: z.string().nullable(),
    is_public: z.boolean(),
    tags: z.array(z.string()),
    start_sets: z.array(startSetView),
    endings: z.array(endingView),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "PublicCharacter" });
export type PublicCharacterView = z.infer<typeof publicCharacterView>;

export const characterView = publicCharacterView
  .extend({
    stats: z.record(z.string(), z.number()),
    zone_id: z.string(),
    position: z.object({ x: z.number(), y: z.number() }),
  })
  .meta({ id: "Character" });
export type CharacterView = z.infer<typeof characterView>;

/** The owner's and staff's view, with the game state. */
export const toCharacter = (c: Character): CharacterView => ({
  ...toPublicCharacter(c),
  stats: c.stats,
  zone_id: c.zoneId,
  position: { x: c.x, y: c.y },
});

/** What any signed-in user may see of a public character: no stats, zone or position. */
export const toPublicCharacter = (c: Character): PublicCharacterView => ({
  id: c.id,
  owner_id: c.ownerId,
  name: c.name,
  class: c.class,
  background_id: c.backgroundId,
  description: c.description,
  greeting: c.greeting,
  image_url: c.imageUrl,
  audience_slug: c.audienceSlug,
  style_slug: c.styleSlug,
  one_line_intro: c.oneLineIntro,
  is_public: c.isPublic,
  tags: c.tags,
  start_sets: c.startSets,
  endings: c.endings,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});
