import type { Presence } from "@colyseus/core";
import type { EventBus } from "../infra/events";
import type { Logger } from "../infra/logger";

/** What a user's inbox room shows as `notification {kind, data, created_at}` (docs/realtime.md). */
export type NotificationKind = "points_changed" | "payment_completed" | "job_updated";

export interface UserNotification<T = unknown> {
  kind: NotificationKind;
  data: T;
  created_at: string;
}

/** The domain event each kind of notification also is, on the event bus. */
const EVENT_TYPES: Record<NotificationKind, string> = {
  points_changed: "points.changed",
  payment_completed: "payment.completed",
  job_updated: "job.updated",
};

const userChannel = (userId: string) => `notify.user.${userId}`;

/**
 * Tells a user, live, that something of theirs changed: their inbox room receives it on
 * whichever process it lives (a per-user presence channel), and the event bus carries it
 * as a domain event for everyone else. Called only after the change was committed; a
 * notification that cannot be published is logged, never turned into an error for a
 * change that happened (the client would retry it).
 */
export class Notifications {
  constructor(
    private readonly presence: Presence,
    private readonly events: EventBus,
    private readonly logger: Logger,
  ) {}

  async notify<T extends object>(userId: string, kind: NotificationKind, data: T): Promise<void> {
    const notification: UserNotification<T> = { kind, data, created_at: new Date().toISOString() };
    try {
      await Promise.all([
        this.presence.publish(userChannel(userId), notification),
        this.events.publish(EVENT_TYPES[kind], { user_id: userId, ...data }),
      ]);
    } catch (err) {
      this.logger.warn({ err, userId, kind }, "notification not published");
    }
  }

  /** The presence channel a user's inbox room subscribes to. */
  channelOf(userId: string): string {
    return userChannel(userId);
  }
}
