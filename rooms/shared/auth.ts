import type { Client, Presence, Room } from "@colyseus/core";
import { isRevokedBy, REVOCATION_CHANNEL, type AuthClaims, type Revocation } from "../../services/tokens";

/** Close code for a connection whose token was revoked (docs/realtime.md). */
export const CLOSE_REVOKED = 4401;

/**
 * Closes, with 4401, the room's connections hit by a revocation published on presence
 * (logout, disabled account, password reset), whichever process published it. Pass the
 * room's own (scoped) presence: Colyseus drops the subscription with the room.
 */
export async function closeOnRevocation(room: Room, presence: Presence): Promise<void> {
  const onRevocation = (revocation: Revocation) => {
    for (const client of room.clients as Client[]) {
      const claims = client.auth as AuthClaims | undefined;
      if (claims && isRevokedBy(claims, revocation)) client.leave(CLOSE_REVOKED, "token revoked");
    }
  };
  await presence.subscribe(REVOCATION_CHANNEL, onRevocation);
}
