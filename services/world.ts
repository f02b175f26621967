import { z } from "zod";
import { Character } from "../entities/character.entity";
import type { Database } from "../infra/database";
import { characterCacheKey } from "./characters";
import { forbidden, notFound } from "./errors";
import type { VersionedCache } from "./versioned-cache";
import type { AuthClaims } from "./tokens";

/** What a zone needs to know about a character that joins it: plain values only. */
export interface ZoneCharacter {
  id: string;
  ownerId: string;
  name: string;
  class: string;
  zoneId: string;
  x: number;
  y: number;
}

export interface SavedPosition {
  characterId: string;
  ownerId: string;
  x: number;
  y: number;
}

const uuid = z.uuid();

/** The world's view of characters: who may enter a zone, and where they stand. */
export class WorldService {
  constructor(
    private readonly db: Database,
    private readonly characterLists: VersionedCache,
  ) {}

  /** 404 for an unknown (or malformed) id, 403 for someone else's character. */
  async loadForJoin(characterId: unknown, claims: AuthClaims): Promise<ZoneCharacter> {
    const id = uuid.safeParse(characterId);
    if (!id.success) throw notFound("character");
    const character = await this.db.manager.findOne(Character, { where: { id: id.data } });
    if (!character) throw notFound("character");
    if (character.ownerId !== claims.userId) throw forbidden("This character is not yours.");
    return {
      id: character.id,
      ownerId: character.ownerId,
      name: character.name,
      class: character.class,
      zoneId: character.zoneId,
      x: character.x,
      y: character.y,
    };
  }

  /**
   * Writes a whole batch in one statement, so a zone's save is all-or-nothing and
   * costs one round trip however many players it holds; then the owners' cached
   * character lists are dropped so REST shows the new positions.
   */
  async savePositions(positions: SavedPosition[]): Promise<void> {
    if (positions.length === 0) return;
    const params: unknown[] = [];
    const rows = positions.map((p) => {
      params.push(p.characterId, p.x, p.y);
      const n = params.length;
      return `($${n - 2}::uuid, $${n - 1}::double precision, $${n}::double precision)`;
    });
    await this.db.manager.query(
      `UPDATE characters AS c SET x = v.x, y = v.y, updated_at = now()
         FROM (VALUES ${rows.join(", ")}) AS v(id, x, y)
        WHERE c.id = v.id`,
      params,
    );
    const owners = new Set(positions.map((p) => p.ownerId));
    await Promise.all([...owners].map((owner) => this.characterLists.invalidate(characterCacheKey(owner))));
  }
}
