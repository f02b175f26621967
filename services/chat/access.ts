import type { EntityManager } from "typeorm";
import { Character } from "../../entities/character.entity";
import { forbidden, notFound } from "../errors";
import { isOwnerOr } from "../ownership";
import { isUuid } from "../sql";
import type { AuthClaims } from "../tokens";

/** Events a chat opens with (the start's `messages`, an origchat session's and room's `events`). */
export const LATEST_EVENTS = 50;

/** The character a chat may be played with: public, or the caller's own, or any for an admin (403 otherwise). */
export async function playableCharacter(m: EntityManager, claims: AuthClaims, id: string): Promise<Character> {
  const character = isUuid(id) ? await m.findOneBy(Character, { id }) : null;
  if (!character) throw notFound("character");
  if (!character.isPublic && !isOwnerOr(claims, character.ownerId, "admin")) throw forbidden("This character is private.");
  return character;
}

/**
 * Serialises the "reuse or create" of one user's chat with one thing (a character, a
 * story) inside the caller's transaction, so that two starts at once end in one room.
 */
export async function lockStart(m: EntityManager, ...parts: (string | null)[]): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`chat-start:${parts.map((p) => p ?? "-").join(":")}`]);
}
