/**
 * The delivery discipline shared by the inbox and DM channel rooms: every read of the
 * store and every send to clients happens one at a time, in the order asked, so a
 * joining client's backlog is sent before anything newer, and bursts of "something
 * changed" signals collapse into one read instead of one per message.
 */
export class Feed {
  private tail: Promise<void> = Promise.resolve();
  private pumpQueued = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Runs `task` after every task queued before it. */
  run(task: () => Promise<void>): Promise<void> {
    const done = this.tail.then(task);
    this.tail = done.catch(this.onError);
    return this.tail;
  }

  /** Queues `pump` unless one is queued and has not started yet (it will see the same changes). */
  wake(pump: () => Promise<void>): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    void this.run(() => {
      this.pumpQueued = false;
      return pump();
    });
  }
}
