import type { Presence } from "@colyseus/core";
import type { EntityManager } from "typeorm";
import { ExtractedCharacterRow, StoryExtractionJob, type ExtractionStatus } from "../../entities/story-job.entity";
import { Story } from "../../entities/story.entity";
import type { Database } from "../../infra/database";
import { GeneratorError, type ExtractedCharacter, type Generator } from "../../infra/generator/generator";
import type { Logger } from "../../infra/logger";
import { conflict, notFound } from "../errors";
import { asProblem, errorEvent } from "../generator-errors";
import type { Notifications } from "../notifications";
import { assertOwnerOr } from "../ownership";
import { page, type Page, type PageQuery } from "../pagination";
import { isUuid } from "../sql";
import type { AuthClaims } from "../tokens";
import { assertReadable, findStory } from "./access";
import { toExtracted, toExtractionJob, type ExtractedCharacterView, type ExtractionJobView } from "./schemas";

/** Presence mirror of an extraction job, for cheap polling; the database row is the truth. */
const mirrorKey = (jobId: string) => `story-extraction:job:${jobId}`;
const MIRROR_TTL_SECONDS = 3600;
/** Every process listens here, so a cancel reaches the job's task wherever it runs. */
const CANCEL_CHANNEL = "story-extraction.cancel";

const ABANDONED = "The server running the job stopped before it finished.";

interface Mirror {
  story_id: string;
  /** The story's owner: who, with admins, may read the job. */
  story_owner_id: string;
  status: ExtractionStatus;
  result_count: number | null;
  error: string | null;
}

/**
 * Characters found in a story's text. A synchronous rebuild replaces the previous
 * extraction (deleted first, in the transaction that writes the new one). An
 * asynchronous one writes its job row and presence mirror before its task starts, and
 * its task writes its results, and completes the job, in one transaction that first
 * checks the job is still running; so a cancel, which flips the row, leaves no partial
 * results (and deletes any row tagged with the job, in case). The job's starter hears
 * every move in their inbox.
 */
export class CharacterExtraction {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly presence: Presence,
    private readonly generator: Generator,
    private readonly notifications: Notifications,
    private readonly logger: Logger,
  ) {}

  /** Listens for cancels from every process. */
  async start(): Promise<void> {
    await this.presence.subscribe(CANCEL_CHANNEL, (jobId: string) => this.running.get(jobId)?.controller.abort());
  }

  /** Stops local tasks and waits for them to record it: their jobs end as `error`, since nobody cancelled them. */
  async stop(): Promise<void> {
    this.stopping = true;
    const tasks = [...this.running.values()];
    for (const task of tasks) task.controller.abort();
    await Promise.allSettled(tasks.map((t) => t.done));
  }

  async list(claims: AuthClaims | undefined, storyId: string, query: PageQuery): Promise<Page<ExtractedCharacterView>> {
    const story = await findStory(this.db.manager, storyId);
    assertReadable(claims, story);
    const [rows, total] = await this.db.manager.findAndCount(ExtractedCharacterRow, {
      where: { storyId: story.id },
      order: { mentions: "DESC", name: "ASC", id: "ASC" },
      take: query.limit,
      skip: query.offset,
    });
    return page(rows.map(toExtracted), total, query);
  }

  async rebuild(claims: AuthClaims, storyId: string): Promise<Page<ExtractedCharacterView>> {
    const story = await this.editable(claims, storyId);
    let found: ExtractedCharacter[];
    try {
      found = await this.generator.extractCharacters(story.content);
    } catch (err) {
      throw asProblem(err);
    }
    const rows = await this.db.transaction((m) => replace(m, story.id, found, null));
    return page(rows.map(toExtracted), rows.length, { limit: 100, offset: 0 });
  }

  async rebuildAsync(claims: AuthClaims, storyId: string): Promise<{ job_id: string; status: "in_progress" }> {
    const story = await this.editable(claims, storyId);
    const job = await this.db.manager.save(this.db.manager.create(StoryExtractionJob, { storyId: story.id, ownerId: claims.userId, status: "in_progress" }));
    await this.mirror(job, story.ownerId);
    await this.announce(job);
    const controller = new AbortController();
    // The row and its mirror exist before the task starts, so a poll right after the 202 finds the job.
    const done = new Promise<void>((resolve) => setImmediate(() => void this.work(job, story, controller).finally(resolve)));
    this.running.set(job.id, { controller, done });
    return { job_id: job.id, status: "in_progress" };
  }

  async job(claims: AuthClaims, storyId: string, jobId: string): Promise<ExtractionJobView> {
    const cached = await this.readMirror(jobId);
    if (cached && cached.story_id === storyId) {
      assertOwnerOr(claims, cached.story_owner_id, "admin");
      return toExtractionJob({ id: jobId, status: cached.status, resultCount: cached.result_count, error: cached.error });
    }
    const { job } = await this.load(this.db.manager, claims, storyId, jobId, { deletedToo: true });
    return toExtractionJob(job);
  }

  async cancel(claims: AuthClaims, storyId: string, jobId: string): Promise<{ status: "cancelled" }> {
    const { job, story } = await this.db.transaction(async (m) => {
      const loaded = await this.load(m, claims, storyId, jobId, { lock: true });
      if (loaded.job.status !== "in_progress") throw conflict("job_finished", `The job already ended (${loaded.job.status}).`);
      loaded.job.status = "cancelled";
      await m.update(StoryExtractionJob, { id: loaded.job.id }, { status: "cancelled" });
      return loaded;
    });
    await this.db.manager.delete(ExtractedCharacterRow, { jobId: job.id }).catch((err: unknown) => this.logger.warn({ err, jobId }, "partial extraction not cleaned up"));
    await this.presence.publish(CANCEL_CHANNEL, job.id);
    await this.mirror(job, story.ownerId);
    await this.announce(job);
    return { status: "cancelled" };
  }

  /** Renews the lease of the jobs this process runs, so that no sweep takes them for abandoned. */
  async touchRunning(): Promise<void> {
    if (this.running.size === 0) return;
    await this.db.manager.query(
      `UPDATE story_extraction_jobs SET updated_at = now() WHERE id = ANY($1::uuid[]) AND status = 'in_progress'`,
      [[...this.running.keys()]],
    );
  }

  /**
   * Ends as `error` the jobs whose process died mid-task: in progress and not touched for
   * `olderThanSeconds` (a live process renews its jobs more often than that). Their
   * mirrors and their owners are told, as for any other outcome.
   */
  async failAbandoned(olderThanSeconds: number): Promise<number> {
    const rows: { id: string; story_id: string; owner_id: string; story_owner_id: string }[] = await this.db.manager.query(
      `WITH swept AS (
         UPDATE story_extraction_jobs SET status = 'error', error = $2, updated_at = now()
          WHERE status = 'in_progress' AND updated_at < now() - make_interval(secs => $1)
          RETURNING id, story_id, owner_id)
       SELECT swept.id, swept.story_id, swept.owner_id, COALESCE(stories.owner_id, swept.owner_id) AS story_owner_id
         FROM swept LEFT JOIN stories ON stories.id = swept.story_id`,
      [olderThanSeconds, ABANDONED],
    );
    for (const row of rows) {
      const job = Object.assign(new StoryExtractionJob(), { id: row.id, storyId: row.story_id, ownerId: row.owner_id, status: "error", resultCount: null, error: ABANDONED });
      await this.mirror(job, row.story_owner_id);
      await this.announce(job).catch((err: unknown) => this.logger.warn({ err, jobId: row.id }, "abandoned job not announced"));
    }
    return rows.length;
  }

  private async work(job: StoryExtractionJob, story: Story, controller: AbortController): Promise<void> {
    try {
      const found = await this.generator.extractCharacters(story.content, { signal: controller.signal });
      const completed = await this.db.transaction(async (m) => {
        const current = await m.findOne(StoryExtractionJob, { where: { id: job.id }, lock: { mode: "pessimistic_write" } });
        if (current?.status !== "in_progress") return false;
        await replace(m, story.id, found, job.id);
        await m.update(StoryExtractionJob, { id: job.id }, { status: "completed", resultCount: found.length });
        return true;
      });
      if (completed) await this.finish(job, story, "completed", { resultCount: found.length });
    } catch (err) {
      const cancelledByUser = controller.signal.aborted && !this.stopping;
      if (cancelledByUser) return;
      if (!(err instanceof GeneratorError)) this.logger.error({ err, jobId: job.id }, "character extraction failed");
      const status: ExtractionStatus = err instanceof GeneratorError && err.code !== "cancelled" ? "failed" : "error";
      const error = this.stopping ? "The server stopped before the job finished." : errorEvent(err).message;
      const moved = await this.db.manager
        .update(StoryExtractionJob, { id: job.id, status: "in_progress" }, { status, error })
        .catch((e: unknown) => this.logger.error({ err: e, jobId: job.id }, "extraction job not marked failed"));
      if (moved?.affected) await this.finish(job, story, status, { error });
    } finally {
      this.running.delete(job.id);
    }
  }

  private async finish(job: StoryExtractionJob, story: Story, status: ExtractionStatus, extra: Partial<StoryExtractionJob>): Promise<void> {
    Object.assign(job, { status, ...extra });
    await this.mirror(job, story.ownerId);
    await this.announce(job);
  }

  /** The story, for its owner or an admin, before any work on it. */
  private async editable(claims: AuthClaims, storyId: string): Promise<Story> {
    const story = await findStory(this.db.manager, storyId);
    assertOwnerOr(claims, story.ownerId, "admin");
    return story;
  }

  /**
   * A job of the story, for the story's owner or an admin. A job stays readable after its
   * story was deleted (its presence mirror would show it anyway); acting on it does not.
   */
  private async load(m: EntityManager, claims: AuthClaims, storyId: string, jobId: string, { lock = false, deletedToo = false } = {}) {
    const story = deletedToo ? (isUuid(storyId) ? await m.findOneBy(Story, { id: storyId }) : null) : await findStory(m, storyId);
    if (!story) throw notFound("story");
    assertOwnerOr(claims, story.ownerId, "admin");
    const job = isUuid(jobId)
      ? await m.findOne(StoryExtractionJob, { where: { id: jobId, storyId: story.id }, ...(lock && { lock: { mode: "pessimistic_write" as const } }) })
      : null;
    if (!job) throw notFound("job");
    return { job, story };
  }

  private async mirror(job: StoryExtractionJob, storyOwnerId: string): Promise<void> {
    const value: Mirror = { story_id: job.storyId, story_owner_id: storyOwnerId, status: job.status, result_count: job.resultCount ?? null, error: job.error ?? null };
    try {
      await this.presence.setex(mirrorKey(job.id), JSON.stringify(value), MIRROR_TTL_SECONDS);
    } catch (err) {
      this.logger.warn({ err, jobId: job.id }, "extraction job not mirrored");
    }
  }

  private async readMirror(jobId: string): Promise<Mirror | undefined> {
    if (!isUuid(jobId)) return undefined;
    try {
      const raw = (await this.presence.get(mirrorKey(jobId))) as string | null | undefined;
      return raw ? (JSON.parse(raw) as Mirror) : undefined;
    } catch (err) {
      this.logger.warn({ err, jobId }, "extraction job mirror not read");
      return undefined;
    }
  }

  private announce(job: StoryExtractionJob): Promise<void> {
    return this.notifications.notify(job.ownerId, "job_updated", {
      job_id: job.id,
      kind: "character_extraction",
      story_id: job.storyId,
      status: job.status,
      ...(job.resultCount !== null && job.resultCount !== undefined ? { result_count: job.resultCount } : {}),
      ...(job.error ? { error: job.error } : {}),
    });
  }
}

/** Replaces a story's extraction, serialised per story by its row lock: the old one goes first. */
async function replace(m: EntityManager, storyId: string, found: ExtractedCharacter[], jobId: string | null): Promise<ExtractedCharacterRow[]> {
  await m.findOne(Story, { where: { id: storyId }, lock: { mode: "pessimistic_write" } });
  await m.delete(ExtractedCharacterRow, { storyId });
  if (found.length === 0) return [];
  const rows = found.map((c) =>
    m.create(ExtractedCharacterRow, { storyId, jobId, name: c.name.slice(0, 100), description: c.description.slice(0, 1000), mentions: Math.max(1, c.mentions) }),
  );
  return m.save(rows);
}
