import type { Client, Presence, Room } from "@colyseus/core";
import type { Logger } from "../../infra/logger";
import { unauthenticated } from "../../services/errors";
import { isRevokedBy, REVOCATION_CHANNEL, type AuthClaims, type Revocation, type TokenService } from "../../services/tokens";
import { toJoinRejection } from "./errors";

/** Close code for a connection whose token was revoked (realtime.md). */
export const CLOSE_REVOKED = 4401;

/**
 * Verifies a join's token with the same verifier as REST; a failure rejects the join
 * with the domain error's status (401 for any token problem).
 */
export async function verifyJoin(tokens: TokenService, token: string | undefined, logger: Logger): Promise<AuthClaims> {
  try {
    if (!token) throw unauthenticated();
    return await tokens.verifyAccessToken(token);
  } catch (err) {
    throw toJoinRejection(err, logger);
  }
}

/**
 * Closes, with 4401, the room's connections hit by a revocation published on presence
 * (logout, disabled account, password reset), whichever process published it.
 * Returns the undo, for `onDispose`.
 */
export async function closeOnRevocation(room: Room, presence: Presence): Promise<() => void> {
  const onRevocation = (revocation: Revocation) => {
    for (const client of room.clients as Client[]) {
      const claims = client.auth as AuthClaims | undefined;
      if (claims && isRevokedBy(claims, revocation)) client.leave(CLOSE_REVOKED, "token revoked");
    }
  };
  await presence.subscribe(REVOCATION_CHANNEL, onRevocation);
  return () => presence.unsubscribe(REVOCATION_CHANNEL, onRevocation);
}
