import crypto from "node:crypto";
import type { Presence } from "@colyseus/core";

/** A domain event as it travels on presence channel `events.<type>` (docs/realtime.md). */
export interface DomainEvent<T = unknown> {
  type: string;
  id: string;
  at: string;
  data: T;
}

export type EventHandler<T = unknown> = (event: DomainEvent<T>) => void;

/**
 * The event bus rides on presence, so in-process subscribers and other processes (with
 * Redis) see the same stream. Publishing is fire-and-forget for the caller: an event
 * is only ever published after the fact it announces was committed.
 */
export class EventBus {
  constructor(private readonly presence: Presence) {}

  async publish<T>(type: string, data: T): Promise<DomainEvent<T>> {
    const event: DomainEvent<T> = { type, id: crypto.randomUUID(), at: new Date().toISOString(), data };
    await this.presence.publish(`events.${type}`, event);
    return event;
  }

  /** Subscribes to one event type; resolves once the subscription is live, to its undo. */
  async subscribe<T>(type: string, handler: EventHandler<T>): Promise<() => void> {
    const channel = `events.${type}`;
    const callback = (event: DomainEvent<T>) => handler(event);
    await this.presence.subscribe(channel, callback);
    return () => this.presence.unsubscribe(channel, callback);
  }
}
