import type { Presence } from "@colyseus/core";
import type { EntityManager } from "typeorm";
import { Story } from "../../entities/story.entity";
import type { Logger } from "../../infra/logger";
import { gone, notFound, unauthenticated } from "../errors";
import { assertOwnerOr } from "../ownership";
import { isUuid } from "../sql";
import type { AuthClaims } from "../tokens";

/**
 * The rules every story route shares: which story an id names (404, or 410 once
 * deleted), who may read it, and the origchat start counter shown as `chat_starts`.
 */

/** The presence counter origchat increments for each new session on a story. */
export const chatStartsKey = (storyId: string) => `origchat:story:${storyId}:starts`;

/** The presence channel told when a story is deleted (live origchat rooms on it close with 4410). */
export const storyDeletedChannel = (storyId: string) => `story:${storyId}:deleted`;

/** The live story `id` names; 404 when there is none, 410 once deleted. `lock` takes its row for update. */
export async function findStory(m: EntityManager, id: string, lock = false): Promise<Story> {
  const story = isUuid(id) ? await m.findOne(Story, { where: { id }, ...(lock && { lock: { mode: "pessimistic_write" as const } }) }) : null;
  if (!story) throw notFound("story");
  if (story.deletedAt) throw gone("story");
  return story;
}

/** A public story is anyone's to read; a private one its owner's and an admin's. */
export function assertReadable(claims: AuthClaims | undefined, story: Story): void {
  if (story.isPublic) return;
  if (!claims) throw unauthenticated();
  assertOwnerOr(claims, story.ownerId, "admin");
}

/** Each story's origchat starts (0 when origchat never counted one); a presence failure reads as 0, logged. */
export async function chatStarts(presence: Presence, logger: Logger, storyIds: string[]): Promise<Map<string, number>> {
  const counts = await Promise.all(
    storyIds.map(async (id) => {
      try {
        const value = Number(await presence.get(chatStartsKey(id)));
        return Number.isSafeInteger(value) && value > 0 ? value : 0;
      } catch (err) {
        logger.warn({ err, storyId: id }, "chat_starts not read");
        return 0;
      }
    }),
  );
  return new Map(storyIds.map((id, i) => [id, counts[i]!]));
}
