import type { EntityManager } from "typeorm";
import { OutboxEmail } from "../entities/email.entity";
import type { Database } from "../infra/database";
import type { Logger } from "../infra/logger";
import type { Mail, Mailer } from "../infra/mailer";
import { page, type Page, type PageQuery } from "../http/route";
import { toOutboxEmail, type OutboxEmailView } from "./accounts.schemas";

const BATCH = 10;
const MAX_ATTEMPTS = 5;

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
   * Delivers one batch. The rows stay locked while they are sent (SKIP LOCKED), so
   * several processes never send the same mail twice.
   */
  async deliverPending(): Promise<number> {
    return this.db.transaction(async (m) => {
      const rows = await m
        .createQueryBuilder(OutboxEmail, "o")
        .where("o.status = 'pending'")
        .orderBy("o.created_at", "ASC")
        .limit(BATCH)
        .setLock("pessimistic_write")
        .setOnLocked("skip_locked")
        .getMany();
      for (const row of rows) {
        const attempts = row.attempts + 1;
        try {
          await this.mailer.send({ to: row.to, subject: row.subject, body: row.body });
          await m.update(OutboxEmail, { id: row.id }, { status: "sent", attempts, sentAt: new Date(), lastError: null });
        } catch (err) {
          const lastError = err instanceof Error ? err.message.slice(0, 500) : String(err);
          const status = attempts >= MAX_ATTEMPTS ? "failed" : "pending";
          await m.update(OutboxEmail, { id: row.id }, { status, attempts, lastError });
          this.logger.warn({ outboxId: row.id, attempts, err: lastError }, "email delivery failed");
        }
      }
      return rows.length;
    });
  }
}
