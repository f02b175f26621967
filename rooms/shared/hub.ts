import type { Client, Presence, Room } from "@colyseus/core";
import { isRevokedBy, REVOCATION_CHANNEL, type AuthClaims, type Revocation } from "../../services/tokens";
import { CLOSE_REVOKED } from "./auth";

/** A room type's handler as Colyseus emits its rooms' lifecycle. */
interface RoomEvents {
  on(event: "create" | "dispose", listener: (room: Room) => void): unknown;
}

/**
 * The process's one subscription to revocations (logout, disabled account, password
 * reset), whichever process published them: each is dispatched to the live rooms of
 * this process, which close the hit connections with 4401. A subscription per room
 * would cost a listener per room (thousands of inbox rooms) and Node's
 * MaxListenersExceededWarning past ten.
 *
 * A connection's claims are on `client.auth` once it has joined (every Tavern room
 * keeps them there).
 */
export class RevocationHub {
  private readonly rooms = new Set<Room>();
  private readonly onRevocation = (revocation: Revocation) => this.dispatch(revocation);

  constructor(private readonly presence: Presence) {}

  /** Follows the live rooms of these room types (the handlers `defineRoom` returns). */
  watchRooms<T extends Record<string, RoomEvents>>(handlers: T): T {
    for (const handler of Object.values(handlers)) {
      handler.on("create", (room) => this.rooms.add(room));
      handler.on("dispose", (room) => this.rooms.delete(room));
    }
    return handlers;
  }

  /** Resolves once the subscription is live. */
  async start(): Promise<void> {
    await this.presence.subscribe(REVOCATION_CHANNEL, this.onRevocation);
  }

  private dispatch(revocation: Revocation): void {
    for (const room of this.rooms) {
      for (const client of room.clients as Client[]) {
        const claims = client.auth as AuthClaims | undefined;
        if (claims && isRevokedBy(claims, revocation)) client.leave(CLOSE_REVOKED, "token revoked");
      }
    }
  }
}
