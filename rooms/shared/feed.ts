import type { Client } from "@colyseus/core";
import type { MailboxSignal } from "../../services/messages";
import type { StoredMessage } from "../../services/messages.schemas";

/** Where a feed's messages come from: one user's mailbox (inbox) or one pair's (DM channel). */
export interface FeedSource {
  /**
   * The position this feed must be at for a signalled message to follow directly, or
   * undefined when the message is not this feed's.
   */
  previousOf(signal: Extract<MailboxSignal, { kind: "message" }>): number | undefined;
  /** Up to one page of this feed's messages stored after `after`, oldest first. */
  page(after: number): Promise<StoredMessage[]>;
  /** Re-reads what changes besides messages (unread counts, read markers) once the feed caught up. */
  refresh(): Promise<void>;
}

/**
 * The delivery discipline shared by the inbox and DM channel rooms. Every read of the
 * store and every send happens one at a time, in the order asked, so a client's
 * catch-up (backlog, history) goes out before anything newer, and a burst of "something
 * changed" signals collapses into one read instead of one per message. A signalled
 * message that follows the last one delivered goes out straight from the signal; a gap
 * (a missed signal, signals crossing processes out of order) sends the feed to the
 * store, page by page. Nothing at or before the cursor is sent live twice.
 */
export class MessageFeed {
  private cursor = 0;
  private tail: Promise<void> = Promise.resolve();
  private pumpQueued = false;
  /** Clients catching up: live deliveries skip them (their catch-up covers them). */
  private readonly catchingUp = new Set<Client>();
  /** How far a client's own catch-up reached: a live delivery still queued from before may be older. */
  private readonly seenUpTo = new WeakMap<Client, number>();

  constructor(
    private readonly source: FeedSource,
    private readonly clients: () => Iterable<Client>,
    private readonly send: (client: Client, message: StoredMessage) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts from `cursor` (the newest stored position when the room opened) and catches up at once. */
  start(cursor: number): void {
    this.cursor = cursor;
    // A message stored between reading the cursor and subscribing would otherwise wait for the next one.
    this.wake();
  }

  get position(): number {
    return this.cursor;
  }

  /** Handles a mailbox signal; `onFollow` runs for a message delivered straight from it. */
  onSignal(signal: MailboxSignal, onFollow?: (message: StoredMessage) => void): void {
    if (signal.kind !== "message") return this.wake();
    const previous = this.source.previousOf(signal);
    if (previous === undefined) return;
    void this.run(async () => {
      if (signal.seq <= this.cursor) return;
      if (previous !== this.cursor) return this.pump();
      const message = { seq: signal.seq, view: signal.message };
      this.deliver(message);
      onFollow?.(message);
    });
  }

  /**
   * Gives `client` its catch-up (`catchUp(until)` sends everything up to the cursor it is
   * handed) before any live message; `seenUpTo` is what the client already has.
   */
  catchUp(client: Client, catchUp: (until: number) => Promise<void>, seenUpTo = 0): void {
    this.catchingUp.add(client);
    this.seenUpTo.set(client, seenUpTo);
    void this.run(async () => {
      try {
        await catchUp(this.cursor);
      } finally {
        this.catchingUp.delete(client);
      }
    });
  }

  /** The client left: it needs nothing more. */
  forget(client: Client): void {
    this.catchingUp.delete(client);
  }

  private wake(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    void this.run(() => {
      this.pumpQueued = false;
      return this.pump();
    });
  }

  private run(task: () => Promise<void>): Promise<void> {
    const done = this.tail.then(task);
    this.tail = done.catch(this.onError);
    return this.tail;
  }

  private async pump(): Promise<void> {
    for (;;) {
      const page = await this.source.page(this.cursor);
      for (const m of page) this.deliver(m);
      if (page.length === 0) break;
    }
    await this.source.refresh();
  }

  private deliver(m: StoredMessage): void {
    for (const client of this.clients()) {
      if (!this.catchingUp.has(client) && m.seq > (this.seenUpTo.get(client) ?? 0)) this.send(client, m);
    }
    this.cursor = m.seq;
  }
}
