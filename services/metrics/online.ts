import type { Presence } from "@colyseus/core";
import { validationFailed } from "../errors";
import type { AuthClaims } from "../tokens";
import type { HeartbeatInput, OnlineNow } from "./schemas";

/** Keys stay readable this much past the end of the window that can still count them. */
const KEY_GRACE_SECONDS = 1;

/**
 * Who is online: a heartbeat marks a user (or an anonymous client id) for `ttl`
 * seconds. Heartbeats land in a presence hash per time slot (at most ~60 slots span
 * the window); each hash expires on its own once no window can reach it, so nothing
 * sweeps. Online-now is the union of the slots the window covers: a heartbeat counts
 * for at least `ttl` seconds and less than `ttl` + one slot. `hincrbyex` writes the
 * field and the expiry together, on every process's shared presence.
 */
export class OnlineTracker {
  private readonly slotSeconds: number;

  constructor(
    private readonly presence: Presence,
    private readonly ttlSeconds: number,
  ) {
    this.slotSeconds = Math.max(1, Math.ceil(ttlSeconds / 60));
  }

  async heartbeat(claims: AuthClaims | undefined, input: HeartbeatInput): Promise<void> {
    const member = claims ? `u:${claims.userId}` : input.client_id !== undefined ? `a:${input.client_id}` : undefined;
    if (!member) throw validationFailed([{ field: "client_id", message: "is required without a token" }]);
    const slot = Math.floor(Date.now() / 1000 / this.slotSeconds);
    await this.presence.hincrbyex(keyOf(slot), member, 1, this.ttlSeconds + this.slotSeconds + KEY_GRACE_SECONDS);
  }

  async onlineNow(): Promise<OnlineNow> {
    const now = Date.now() / 1000;
    const first = Math.floor((now - this.ttlSeconds) / this.slotSeconds);
    const last = Math.floor(now / this.slotSeconds);
    const slots = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const hashes = await Promise.all(slots.map((slot) => this.presence.hgetall(keyOf(slot))));
    const members = new Set<string>();
    for (const hash of hashes) for (const member of Object.keys(hash ?? {})) members.add(member);
    let users = 0;
    for (const member of members) if (member.startsWith("u:")) users++;
    return { count: members.size, users, anonymous: members.size - users, window_seconds: this.ttlSeconds };
  }
}

const keyOf = (slot: number) => `metrics:online:${slot}`;
