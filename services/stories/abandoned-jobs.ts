import type { Logger } from "../../infra/logger";
import type { CharacterExtraction } from "./extraction";
import type { StoryGeneration } from "./generation";

/**
 * A generation or extraction runs in the process that started it; if that process dies
 * (SIGKILL, a crash, a lost machine) nobody records the job's outcome, and its owner
 * would poll "generating" forever. So a job is a lease: every process renews the jobs it
 * runs three times per `afterSeconds`, and ends as abandoned any job nobody renewed for
 * `afterSeconds`. Sweeps of several processes race harmlessly: each job is taken by one
 * conditional update.
 */
export class AbandonedJobs {
  private timer?: NodeJS.Timeout;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    private readonly generation: StoryGeneration,
    private readonly extraction: CharacterExtraction,
    private readonly logger: Logger,
    /** How long a job may go without its lease renewed before it counts as abandoned. */
    private readonly afterSeconds: number,
  ) {}

  start(): void {
    void this.sweep();
    this.timer ??= setInterval(() => void this.sweep(), (this.afterSeconds * 1000) / 3);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** One sweep at a time; a failed sweep (the database is down) is retried by the next. */
  sweep(): Promise<void> {
    this.sweeping = this.sweeping.then(async () => {
      try {
        await Promise.all([this.generation.touchRunning(), this.extraction.touchRunning()]);
        const [generations, extractions] = await Promise.all([
          this.generation.failAbandoned(this.afterSeconds),
          this.extraction.failAbandoned(this.afterSeconds),
        ]);
        if (generations + extractions > 0) this.logger.warn({ generations, extractions }, "abandoned story jobs ended");
      } catch (err) {
        this.logger.warn({ err }, "abandoned story jobs not swept");
      }
    });
    return this.sweeping;
  }
}
