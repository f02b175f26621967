import crypto from "node:crypto";
import { In } from "typeorm";
import { StoryGenerationJob, type GenerationStatus } from "../../entities/story-job.entity";
import type { Database } from "../../infra/database";
import { GeneratorError, type Generator } from "../../infra/generator/generator";
import type { Logger } from "../../infra/logger";
import { forbidden, notFound } from "../errors";
import { errorEvent } from "../generator-errors";
import type { Notifications } from "../notifications";
import { isUuid } from "../sql";
import type { AuthClaims } from "../tokens";
import { toGenerationJob, type GenerateInput, type GenerationJobView } from "./schemas";

/** What a generation tells its client, in order; the edge frames each as one server-sent event. */
export type GenerationEvent =
  | { event: "job"; data: { job_id: string; status: "queued" } }
  | { event: "status"; data: { status: "generating" } }
  | { event: "delta"; data: { text: string } }
  | { event: "done"; data: { job_id: string; story_id: string; text: string } }
  | { event: "error"; data: { code: string; message: string } };

export type GenerationSink = (event: GenerationEvent) => void;

const ABANDONED = "The server running the generation stopped before it finished.";

/**
 * Streamed story generation. The job row is written (queued) before the stream opens,
 * moves to generating, then to exactly one of completed, failed or cancelled, each move
 * a conditional update so that no two outcomes can both land. A completed generation
 * is saved as a private story of its owner. The owner's inbox hears of every move.
 */
export class StoryGeneration {
  /** Jobs this process is running: their lease is renewed by `touchRunning`. */
  private readonly running = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly generator: Generator,
    private readonly notifications: Notifications,
    private readonly logger: Logger,
  ) {}

  /** Records the queued job; the caller opens its stream, then calls `run`. */
  async start(claims: AuthClaims, input: GenerateInput): Promise<StoryGenerationJob> {
    const job = await this.db.manager.save(
      this.db.manager.create(StoryGenerationJob, {
        ownerId: claims.userId,
        prompt: input.prompt,
        genre: input.genre ?? null,
        length: input.length ?? "medium",
        status: "queued",
      }),
      // One statement needs no transaction around it (TypeORM would add BEGIN and COMMIT).
      { transaction: false },
    );
    await this.announce(job, "queued");
    return job;
  }

  /**
   * Generates, telling `send` as it goes, until the story is done, failed, or `signal`
   * (the client leaving) cancels it. Never throws: every outcome ends in the job row.
   */
  async run(job: StoryGenerationJob, send: GenerationSink, signal: AbortSignal): Promise<void> {
    send({ event: "job", data: { job_id: job.id, status: "queued" } });
    this.running.add(job.id);
    try {
      if (!(await this.move(job, ["queued"], "generating"))) return;
      send({ event: "status", data: { status: "generating" } });
      const story = await this.generator.story(
        { prompt: job.prompt, genre: job.genre ?? undefined, length: job.length as "short" | "medium" | "long" },
        { signal, onDelta: (text) => send({ event: "delta", data: { text } }) },
      );
      if (signal.aborted) throw new GeneratorError("cancelled", "the client left");
      const storyId = await this.complete(job, story.title, story.text);
      if (storyId) send({ event: "done", data: { job_id: job.id, story_id: storyId, text: story.text } });
    } catch (err) {
      if (signal.aborted || (err instanceof GeneratorError && err.code === "cancelled")) {
        await this.move(job, ["queued", "generating"], "cancelled").catch((e: unknown) => this.logger.error({ err: e, jobId: job.id }, "generation job not cancelled"));
        return;
      }
      if (!(err instanceof GeneratorError)) this.logger.error({ err, jobId: job.id }, "story generation failed");
      const { code, message } = errorEvent(err);
      await this.move(job, ["queued", "generating"], "failed", { errorCode: code, errorMessage: message }).catch((e: unknown) =>
        this.logger.error({ err: e, jobId: job.id }, "generation job not marked failed"),
      );
      send({ event: "error", data: { code, message } });
    } finally {
      this.running.delete(job.id);
    }
  }

  /** Renews the lease of the jobs this process runs, so that no sweep takes them for abandoned. */
  async touchRunning(): Promise<void> {
    if (this.running.size === 0) return;
    await this.db.manager.query(
      `UPDATE story_generation_jobs SET updated_at = now() WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'generating')`,
      [[...this.running]],
    );
  }

  /**
   * Fails the jobs whose process died before it could record an outcome: still queued or
   * generating, and not touched for `olderThanSeconds` (a live process renews its jobs
   * more often than that). Their owners hear of it.
   */
  async failAbandoned(olderThanSeconds: number): Promise<number> {
    const rows: { id: string; owner_id: string }[] = await this.db.manager.query(
      `WITH swept AS (
         UPDATE story_generation_jobs SET status = 'failed', error_code = 'abandoned', error_message = $2, updated_at = now()
          WHERE status IN ('queued', 'generating') AND updated_at < now() - make_interval(secs => $1)
          RETURNING id, owner_id)
       SELECT id, owner_id FROM swept`,
      [olderThanSeconds, ABANDONED],
    );
    for (const row of rows) {
      const job = Object.assign(new StoryGenerationJob(), { id: row.id, ownerId: row.owner_id, storyId: null });
      await this.announce(job, "failed", "abandoned").catch((err: unknown) => this.logger.warn({ err, jobId: row.id }, "abandoned job not announced"));
    }
    return rows.length;
  }

  /** The job, for its owner only. */
  async job(claims: AuthClaims, jobId: string): Promise<GenerationJobView> {
    const job = isUuid(jobId) ? await this.db.manager.findOneBy(StoryGenerationJob, { id: jobId }) : null;
    if (!job) throw notFound("job");
    if (job.ownerId !== claims.userId) throw forbidden();
    return toGenerationJob(job);
  }

  /**
   * Completes the job and saves the story in one statement (so both or neither happen,
   * and the hot path pays one round trip); undefined if the job had already ended. The
   * story's id is chosen here so that the job can name it in the same statement (the
   * foreign key is checked at the statement's end).
   */
  private async complete(job: StoryGenerationJob, title: string, text: string): Promise<string | undefined> {
    const storyId = crypto.randomUUID();
    const rows: { id: string }[] = await this.db.manager.query(
      `WITH j AS (UPDATE story_generation_jobs SET status = 'completed', story_id = $2, updated_at = now()
                   WHERE id = $1 AND status = 'generating' RETURNING id)
       INSERT INTO stories (id, owner_id, title, content, summary, genre) SELECT $2, $3, $4, $5, $6, $7 FROM j RETURNING id`,
      [job.id, storyId, job.ownerId, title.slice(0, 200), text, summaryOf(text), job.genre],
    );
    if (rows.length === 0) return undefined;
    job.storyId = storyId;
    await this.announce(job, "completed");
    return storyId;
  }

  private async move(job: StoryGenerationJob, from: GenerationStatus[], to: GenerationStatus, extra: Partial<StoryGenerationJob> = {}): Promise<boolean> {
    const result = await this.db.manager.update(StoryGenerationJob, { id: job.id, status: In(from) }, { status: to, ...extra });
    if (!result.affected) return false;
    await this.announce(job, to, extra.errorCode ?? undefined);
    return true;
  }

  private announce(job: StoryGenerationJob, status: GenerationStatus, error?: string): Promise<void> {
    return this.notifications.notify(job.ownerId, "job_updated", {
      job_id: job.id,
      kind: "story_generation",
      status,
      story_id: job.storyId ?? null,
      ...(error ? { error } : {}),
    });
  }
}

/** The opening sentence, as the saved story's summary. */
function summaryOf(text: string): string {
  const first = /^[\s\S]*?[.!?](?=\s|$)/.exec(text.trim())?.[0] ?? text.trim();
  return first.length <= 300 ? first : `${first.slice(0, 300).replace(/\s+\S*$/, "")}…`;
}
