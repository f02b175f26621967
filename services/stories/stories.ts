import type { Presence } from "@colyseus/core";
import { ExtractedCharacterRow } from "../../entities/story-job.entity";
import { Story } from "../../entities/story.entity";
import type { Database } from "../../infra/database";
import type { Logger } from "../../infra/logger";
import { forbidden } from "../errors";
import { assertOwnerOr } from "../ownership";
import { page, type Page } from "../pagination";
import { likeContains } from "../sql";
import { hasRole, type AuthClaims } from "../tokens";
import { assertReadable, chatStarts, findStory, storyDeletedChannel } from "./access";
import {
  toExtracted,
  toStory,
  type CreateStoryInput,
  type StoriesQuery,
  type StoryView,
  type UpdateStoryInput,
} from "./schemas";

/** Containment, not `= ANY`: only this form can be answered from the GIN index on tags. */
export const STORY_TAG_CONDITION = "s.tags @> ARRAY[:tag]::text[]";

/** Stories: writing, the public catalogue and one's own, reading under the private guard, edits, soft delete. */
export class StoryService {
  constructor(
    private readonly db: Database,
    private readonly presence: Presence,
    private readonly logger: Logger,
  ) {}

  async create(claims: AuthClaims, input: CreateStoryInput): Promise<StoryView> {
    const story = await this.db.manager.save(
      this.db.manager.create(Story, {
        ownerId: claims.userId,
        title: input.title,
        content: input.content,
        summary: input.summary ?? "",
        genre: input.genre ?? null,
        tags: unique(input.tags ?? []),
        isPublic: input.is_public ?? false,
      }),
    );
    return toStory(story, 0);
  }

  /** `public`: every public story; `mine`: the caller's, public or not. Newest first; never deleted ones. */
  async list(claims: AuthClaims, query: StoriesQuery): Promise<Page<StoryView>> {
    const qb = this.db.manager.createQueryBuilder(Story, "s").where("s.deleted_at IS NULL");
    if (query.scope === "mine") qb.andWhere("s.owner_id = :owner", { owner: claims.userId });
    else qb.andWhere("s.is_public");
    if (query.q) qb.andWhere("(s.title ILIKE :pattern ESCAPE '\\' OR s.summary ILIKE :pattern ESCAPE '\\')", { pattern: likeContains(query.q) });
    if (query.tag) qb.andWhere(STORY_TAG_CONDITION, { tag: query.tag });
    const [rows, total] = await qb.orderBy("s.created_at", "DESC").addOrderBy("s.id", "ASC").take(query.limit).skip(query.offset).getManyAndCount();
    return page(await this.views(rows), total, query);
  }

  async get(claims: AuthClaims | undefined, id: string): Promise<StoryView> {
    const story = await findStory(this.db.manager, id);
    assertReadable(claims, story);
    return (await this.views([story]))[0]!;
  }

  /** The story with its extracted characters, as origchat and the story page use it. */
  async context(claims: AuthClaims | undefined, id: string) {
    const story = await findStory(this.db.manager, id);
    assertReadable(claims, story);
    const extracted = await this.db.manager.find(ExtractedCharacterRow, { where: { storyId: story.id }, order: { mentions: "DESC", name: "ASC" } });
    return { ...(await this.views([story]))[0]!, extracted_characters: extracted.map(toExtracted) };
  }

  /** The owner changes anything; an admin who is not the owner only `is_public`. */
  async update(claims: AuthClaims, id: string, input: UpdateStoryInput): Promise<StoryView> {
    const story = await this.db.transaction(async (m) => {
      const found = await findStory(m, id, true);
      if (found.ownerId !== claims.userId) {
        if (!hasRole(claims, "admin")) throw forbidden();
        const others = Object.keys(input).filter((k) => k !== "is_public" && input[k as keyof UpdateStoryInput] !== undefined);
        if (others.length > 0) throw forbidden(`An admin may change only is_public of someone else's story, not ${others.join(", ")}.`);
      }
      if (input.title !== undefined) found.title = input.title;
      if (input.content !== undefined) found.content = input.content;
      if (input.summary !== undefined) found.summary = input.summary;
      if (input.genre !== undefined) found.genre = input.genre;
      if (input.tags !== undefined) found.tags = unique(input.tags);
      if (input.is_public !== undefined) found.isPublic = input.is_public;
      return m.save(found);
    });
    return (await this.views([story]))[0]!;
  }

  /** Soft delete: the row stays, every later read answers 410; live sessions on it are told after the commit. */
  async remove(claims: AuthClaims, id: string): Promise<void> {
    const storyId = await this.db.transaction(async (m) => {
      const found = await findStory(m, id, true);
      assertOwnerOr(claims, found.ownerId, "admin");
      await m.update(Story, { id: found.id }, { deletedAt: new Date() });
      return found.id;
    });
    try {
      await this.presence.publish(storyDeletedChannel(storyId), { story_id: storyId });
    } catch (err) {
      this.logger.warn({ err, storyId }, "story deletion not announced");
    }
  }

  private async views(stories: Story[]): Promise<StoryView[]> {
    const starts = await chatStarts(this.presence, this.logger, stories.map((s) => s.id));
    return stories.map((s) => toStory(s, starts.get(s.id) ?? 0));
  }
}

const unique = (tags: string[]) => [...new Set(tags)];
