import type { Database } from "../infra/database";

/**
 * The durable record of revocations: sessions marked revoked and logged-out access
 * tokens. Presence holds a fast copy that every request consults; this is what that
 * copy is rebuilt from, and what answers while it is being rebuilt.
 */
export class RevocationLedger {
  constructor(private readonly db: Database) {}

  /** Whether the database holds a revocation of this access token or of its session. */
  async isRevoked(claims: { jti: string; sid: string }): Promise<boolean> {
    const [row]: { revoked: boolean }[] = await this.db.manager.query(
      `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1::uuid AND expires_at > now())
           OR EXISTS (SELECT 1 FROM sessions WHERE id = $2::uuid AND revoked_at IS NOT NULL) AS revoked`,
      [claims.jti, claims.sid],
    );
    return row?.revoked === true;
  }

  /** Every revocation that can still bite: sessions revoked within the access token lifetime, and unexpired tokens. */
  async recent(accessTtlSeconds: number): Promise<{ sessionIds: string[]; jtis: string[] }> {
    const [sessions, tokens]: [{ id: string }[], { jti: string }[]] = await Promise.all([
      this.db.manager.query(`SELECT id FROM sessions WHERE revoked_at > now() - make_interval(secs => $1)`, [accessTtlSeconds]),
      this.db.manager.query(`SELECT jti FROM revoked_tokens WHERE expires_at > now()`),
    ]);
    return { sessionIds: sessions.map((s) => s.id), jtis: tokens.map((t) => t.jti) };
  }
}
