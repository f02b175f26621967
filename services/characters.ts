import crypto from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Config } from "../config";
import { Character, type Ending, type StartSet } from "../entities/character.entity";
import type { Database } from "../infra/database";
import type { EventBus } from "../infra/events";
import type { Logger } from "../infra/logger";
import type { WriteLimits } from "../infra/write-limits";
import type { BackgroundService } from "./backgrounds";
import {
  toCharacter,
  toPublicCharacter,
  type CharacterView,
  type CreateCharacterInput,
  type PublicCharactersQuery,
  type PublicCharacterView,
  type UpdateCharacterInput,
} from "./characters.schemas";
import { forbidden, notFound } from "./errors";
import { DEFAULT_PAGE_LIMIT, page, type PageQuery } from "./pagination";
import { assertOwnerOr, isOwnerOr } from "./ownership";
import { isUuid, likeContains } from "./sql";
import { JsonText, type VersionedCache } from "./versioned-cache";
import { spendWrite } from "./write-budget";
import type { AuthClaims } from "./tokens";

/** Presence key of a user's cached character list; whoever writes their characters deletes it. */
export const characterCacheKey = (userId: string) => `characters:user:${userId}`;

export interface CharacterCreatedEvent {
  character_id: string;
  owner_id: string;
  name: string;
  zone_id: string;
}

export type CacheStatus = "hit" | "miss";

/** Containment, not `= ANY(tags)`: only this form can use the GIN index on tags (exported for the query-plan test). */
export const PUBLIC_TAG_CONDITION = "c.tags @> ARRAY[:tag]::text[]";

interface Paged<T> {
  items: T[];
  total: number;
}

type Settings = Pick<Config, "DEFAULT_CHARACTER_CLASS" | "WORLD_ZONE_ID" | "CHARACTER_CACHE_TTL">;

/** Fields only the server sets when it creates a character (quick create), beside what a client may send. */
export interface CharacterOrigin {
  image_url?: string;
  audience_slug?: string;
  style_slug?: string;
  one_line_intro?: string;
  /** Quick create's idempotency key: unique per owner (index characters_owner_request). */
  request_id?: string;
  /** An imported card's fields without a column of their own (services/cards/card.ts). */
  card?: Record<string, unknown>;
  /** The image of an imported PNG card. */
  portrait?: Buffer;
}

/** The unique index a second character with the same owner and request_id runs into. */
export const REQUEST_ID_INDEX = "characters_owner_request";

/** Players' characters: creation, their own cached list, the public catalogue, edits. */
export class CharacterService {
  constructor(
    private readonly db: Database,
    /** The owners' cached character lists (CHARACTER_CACHE_TTL), shared with the world's position saves. */
    private readonly lists: VersionedCache,
    private readonly events: EventBus,
    private readonly backgrounds: BackgroundService,
    private readonly settings: Settings,
    private readonly logger: Logger,
    private readonly limits: WriteLimits,
  ) {}

  async create(claims: AuthClaims, input: CreateCharacterInput, origin: CharacterOrigin = {}): Promise<CharacterView> {
    await spendWrite(this.limits, "character", claims.userId);
    const character = await this.db.transaction(async (m) => {
      if (input.background_id) await this.backgrounds.assertExists(m, input.background_id);
      return m.save(
        m.create(Character, {
          ownerId: claims.userId,
          name: input.name,
          class: input.class ?? this.settings.DEFAULT_CHARACTER_CLASS,
          backgroundId: input.background_id ?? null,
          description: input.description ?? "",
          greeting: input.greeting ?? "",
          isPublic: input.is_public ?? false,
          tags: input.tags ?? [],
          zoneId: this.settings.WORLD_ZONE_ID,
          x: 0,
          y: 0,
          startSets: withIds<StartSet>(input.start_sets ?? []),
          endings: withIds<Ending>(input.endings ?? []),
          imageUrl: origin.image_url ?? null,
          audienceSlug: origin.audience_slug ?? null,
          styleSlug: origin.style_slug ?? null,
          oneLineIntro: origin.one_line_intro ?? null,
          requestId: origin.request_id ?? null,
          card: origin.card ?? {},
          portrait: origin.portrait ?? null,
        }),
      );
    });
    await this.invalidate(character.ownerId);
    await this.events
      .publish<CharacterCreatedEvent>("character.created", {
        character_id: character.id,
        owner_id: character.ownerId,
        name: character.name,
        zone_id: character.zoneId,
      })
      .catch((err: unknown) => this.logger.error({ err, characterId: character.id }, "character.created not published"));
    return toCharacter(character);
  }

  /** The caller's character made by the quick-create request `requestId`, if there is one. */
  async byRequestId(claims: AuthClaims, requestId: string): Promise<CharacterView | undefined> {
    const character = await this.db.manager.findOneBy(Character, { ownerId: claims.userId, requestId });
    return character ? toCharacter(character) : undefined;
  }

  /**
   * A page of the caller's characters, oldest first, as the JSON answer: each page is
   * cached as sent, under the generation of the owner's list, so a hit is neither parsed
   * nor serialised again.
   */
  async listOwn(claims: AuthClaims, q: PageQuery): Promise<{ page: JsonText; cache: CacheStatus }> {
    const listKey = characterCacheKey(claims.userId);
    // The page a client gets without a query lives at the list's own key (`characters:user:<id>`), the others beside it.
    const key = q.limit === DEFAULT_PAGE_LIMIT && q.offset === 0 ? listKey : `${listKey}:page:${q.limit}:${q.offset}`;
    const { json, hit } = await this.lists.getJson(
      key,
      async () => {
        const rows = await this.db.manager.find(Character, { where: { ownerId: claims.userId }, order: { createdAt: "ASC", id: "ASC" } });
        return page(rows.slice(q.offset, q.offset + q.limit).map(toCharacter), rows.length, q);
      },
      listKey,
    );
    return { page: new JsonText(json), cache: hit ? "hit" : "miss" };
  }

  async listPublic(query: PublicCharactersQuery): Promise<Paged<PublicCharacterView>> {
    const qb = this.db.manager.createQueryBuilder(Character, "c").where("c.is_public");
    if (query.q) qb.andWhere("c.name ILIKE :pattern ESCAPE '\\'", { pattern: likeContains(query.q) });
    if (query.tag) qb.andWhere(PUBLIC_TAG_CONDITION, { tag: query.tag });
    const [rows, total] = await qb
      .orderBy("c.created_at", "DESC")
      .addOrderBy("c.id", "ASC")
      .take(query.limit)
      .skip(query.offset)
      .getManyAndCount();
    return { items: rows.map(toPublicCharacter), total };
  }

  /** Owner and staff see everything; others only a public character, and only its public view. */
  async get(claims: AuthClaims, id: string): Promise<CharacterView | PublicCharacterView> {
    const character = await find(this.db.manager, id);
    if (isOwnerOr(claims, character.ownerId, "operator")) return toCharacter(character);
    if (!character.isPublic) throw forbidden();
    return toPublicCharacter(character);
  }

  async update(claims: AuthClaims, id: string, input: UpdateCharacterInput): Promise<CharacterView> {
    const character = await this.db.transaction(async (m) => {
      const found = await find(m, id, true);
      assertOwnerOr(claims, found.ownerId);
      if (input.background_id) await this.backgrounds.assertExists(m, input.background_id);
      Object.assign(found, definedOnly({
        name: input.name,
        class: input.class,
        backgroundId: input.background_id,
        description: input.description,
        greeting: input.greeting,
        isPublic: input.is_public,
        tags: input.tags,
        imageUrl: input.image_url,
        oneLineIntro: input.one_line_intro,
        startSets: input.start_sets && withIds<StartSet>(input.start_sets),
        endings: input.endings && withIds<Ending>(input.endings),
      }));
      return m.save(found);
    });
    await this.invalidate(character.ownerId);
    return toCharacter(character);
  }

  async remove(claims: AuthClaims, id: string): Promise<void> {
    const ownerId = await this.db.transaction(async (m) => {
      const found = await find(m, id, true);
      assertOwnerOr(claims, found.ownerId, "admin");
      await m.delete(Character, { id: found.id });
      return found.ownerId;
    });
    await this.invalidate(ownerId);
  }

  /** After the write committed (VersionedCache.invalidate says why it cannot fail). */
  private invalidate(ownerId: string): Promise<void> {
    return this.lists.invalidate(characterCacheKey(ownerId));
  }
}

async function find(m: EntityManager, id: string, forUpdate = false): Promise<Character> {
  const character = isUuid(id)
    ? await m.findOne(Character, { where: { id }, ...(forUpdate && { lock: { mode: "pessimistic_write" as const } }) })
    : null;
  if (!character) throw notFound("character");
  return character;
}

/** Start sets and endings are addressed by id; the server names those the client did not. */
function withIds<T extends { id: string }>(items: (Omit<T, "id"> & { id?: string })[]): T[] {
  return items.map((item) => ({ ...item, id: item.id ?? crypto.randomUUID() }) as T);
}

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
