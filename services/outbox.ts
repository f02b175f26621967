import type { EntityManager } from "typeorm";
import { OutboxEmail } from "../entities/email.entity";
import type { Database } from "../infra/database";
import type { Logger } from "../infra/logger";
import type { Mail, Mailer } from "../infra/mailer";
import { page, type Page, type PageQuery } from "./pagination";
import { toOutboxEmail, type OutboxEmailView } from "./accounts.schemas";

const BATCH = 10;
const MAX_ATTEMPTS = 5;
/** How long a claimed row is reserved for the worker sending it. */
const LEASE_SECONDS = 60;

/**
 * Outgoing email. Rows are written inside the transaction of whatever they announce,
 * so a mail exists exactly when its token does; a polling worker delivers them.
 */
export class Outbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly pollMs = 2000,
    /** First retry after this, then twice as long each time (OUTBOX_RETRY_BASE_MS). */
    private readonly retryBaseMs = 2000,
  ) {}

  async enqueue(manager: EntityManager, mail: Mail): Promise<void> {
    await manager.insert(OutboxEmail, { to: mail.to, subject: mail.subject, body: mail.body });
    if (!this.mailer.enabled) this.logger.info({ mail }, "email queued; no SMTP_URL, so it stays in the outbox");
  }

  async list(q: PageQuery): Promise<Page<OutboxEmailView>> {
    const [rows, total] = await this.db.manager.findAndCount(OutboxEmail, {
      order: { createdAt: "DESC", id: "ASC" },
      take: q.limit,
      skip: q.offset,
    });
    return page(rows.map(toOutboxEmail), total, q);
  }

  /** Polls for pending mail while SMTP is configured; without it mail just waits. */
  start(): void {
    if (!this.mailer.enabled || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.deliverPending()
        .then(() => undefined)
        .catch((err) => this.logger.error({ err }, "outbox delivery failed"))
        .finally(() => (this.running = undefined));
    }, this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    this.mailer.close();
  }

  /**
   * Delivers one batch of due mail. Rows are claimed in one statement (SKIP LOCKED, with
   * a lease), so processes never send a mail twice at once and no lock is held while
   * SMTP talks; a failure is retried with exponential backoff until MAX_ATTEMPTS.
   */
  async deliverPending(): Promise<number> {
    const [claimed]: [OutboxRow[], number] = await this.db.manager.query(
      `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, to_address, subject, body, attempts`,
      [BATCH, LEASE_SECONDS],
    );
    for (const row of claimed) {
      try {
        await this.mailer.send({ to: row.to_address, subject: row.subject, body: row.body });
        await this.db.manager.update(OutboxEmail, { id: row.id }, { status: "sent", sentAt: new Date(), lastError: null });
      } catch (err) {
        const lastError = err instanceof Error ? err.message.slice(0, 500) : String(err);
        const status = row.attempts >= MAX_ATTEMPTS ? "failed" : "pending";
        const nextAttemptAt = new Date(Date.now() + this.retryBaseMs * 2 ** (row.attempts - 1));
        await this.db.manager.update(OutboxEmail, { id: row.id }, { status, lastError, nextAttemptAt });
        this.logger.warn({ outboxId: row.id, attempts: row.attempts, err: lastError }, "email delivery failed");
      }
    }
    return claimed.length;
  }
}

interface OutboxRow {
  id: string;
  to_address: string;
  subject: string;
  body: string;
  attempts: number;
}
