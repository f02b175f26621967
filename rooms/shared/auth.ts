/** Close code for a connection whose token was revoked (docs/realtime.md); rooms/shared/hub.ts closes them. */
export const CLOSE_REVOKED = 4401;
