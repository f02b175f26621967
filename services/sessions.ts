import crypto from "node:crypto";
import { IsNull, type EntityManager } from "typeorm";
import type { Config } from "../config";
import { RefreshToken, RevokedToken, Session } from "../entities/session.entity";
import { User } from "../entities/user.entity";
import type { Database } from "../infra/database";
import { toUser, type TokenPairView } from "./accounts.schemas";
import { DomainError, unauthenticated } from "./errors";
import type { AuthClaims, TokenService } from "./tokens";

export const sha256 = (value: string) => crypto.createHash("sha256").update(value).digest("hex");

/**
 * Sessions are refresh-token families. Refresh tokens are opaque, stored hashed and
 * rotated on every use; presenting a rotated one again revokes the whole family.
 */
export class SessionService {
  constructor(
    private readonly db: Database,
    private readonly tokens: TokenService,
    private readonly config: Pick<Config, "REFRESH_TTL">,
  ) {}

  /** Opens a session for `user` inside the caller's transaction and returns its token pair. */
  async open(manager: EntityManager, user: User, siteId?: string): Promise<TokenPairView> {
    const session = await manager.save(manager.create(Session, { userId: user.id, siteId: siteId ?? null }));
    return this.pair(manager, user, session);
  }

  /**
   * Moves the caller's session to another active site (`POST /auth/site`) inside the
   * caller's transaction: a rotation, not a new login. Its unspent refresh tokens are
   * spent, so presenting one again counts as reuse and ends the family; logout still
   * ends the one session; and a stolen access token cannot be turned into a refresh
   * family of its own that the owner's next refresh would never notice.
   */
  async rescope(manager: EntityManager, claims: AuthClaims, siteId: string): Promise<TokenPairView> {
    const session = await manager.findOne(Session, { where: { id: claims.sid, userId: claims.userId }, lock: { mode: "pessimistic_write" } });
    if (!session || session.revokedAt) throw unauthenticated("The session has ended.");
    const user = await manager.findOneBy(User, { id: claims.userId });
    if (!user?.isActive) throw unauthenticated("The session has ended.");
    await manager.update(Session, { id: session.id }, { siteId });
    session.siteId = siteId;
    await manager.update(RefreshToken, { sessionId: session.id, usedAt: IsNull() }, { usedAt: new Date() });
    return this.pair(manager, user, session);
  }

  async refresh(refreshToken: string): Promise<TokenPairView> {
    const outcome = await this.db.transaction(async (m) => {
      const stored = await m.findOne(RefreshToken, {
        where: { tokenHash: sha256(refreshToken) },
        lock: { mode: "pessimistic_write" },
      });
      if (!stored) return { error: "invalid" as const };
      const session = await m.findOneByOrFail(Session, { id: stored.sessionId });
      if (session.revokedAt) return { error: "invalid" as const };
      if (stored.usedAt) {
        await m.update(Session, { id: session.id }, { revokedAt: new Date() });
        return { error: "reused" as const, session };
      }
      if (stored.expiresAt.getTime() <= Date.now()) return { error: "invalid" as const };
      const user = await m.findOneByOrFail(User, { id: session.userId });
      if (!user.isActive) return { error: "invalid" as const };
      await m.update(RefreshToken, { id: stored.id }, { usedAt: new Date() });
      return { pair: await this.pair(m, user, session) };
    });
    if ("pair" in outcome) return outcome.pair!;
    if (outcome.error === "reused") {
      // Committed above; now make it bite on live connections and in-flight access tokens.
      await this.tokens.revoke({ userId: outcome.session!.userId, sessionId: outcome.session!.id }, [outcome.session!.id]);
      throw new DomainError(401, "refresh_token_reused", "This refresh token was already used; the session is revoked.");
    }
    throw new DomainError(401, "invalid_refresh_token", "The refresh token is invalid or expired.");
  }

  /** Logout: the access token's `jti` and its whole session. */
  async logout(claims: AuthClaims): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.upsert(
        RevokedToken,
        { jti: claims.jti, userId: claims.userId, expiresAt: new Date(claims.expiresAt * 1000) },
        ["jti"],
      );
      await m.update(Session, { id: claims.sid, revokedAt: IsNull() }, { revokedAt: new Date() });
    });
    await this.tokens.revoke({ userId: claims.userId, sessionId: claims.sid, jti: claims.jti }, [claims.sid]);
  }

  /**
   * Revokes every session of a user (but `keepSessionId`) inside the caller's
   * transaction; returns a function to call after commit that makes it bite live.
   */
  async revokeAll(manager: EntityManager, userId: string, keepSessionId?: string): Promise<() => Promise<void>> {
    const open = await manager.find(Session, { where: { userId, revokedAt: IsNull() }, select: { id: true } });
    const ids = open.map((s) => s.id).filter((id) => id !== keepSessionId);
    if (ids.length > 0) {
      await manager
        .createQueryBuilder()
        .update(Session)
        .set({ revokedAt: new Date() })
        .whereInIds(ids)
        .execute();
    }
    return () => this.tokens.revoke({ userId, keepSessionId }, ids);
  }

  private async pair(manager: EntityManager, user: User, session: Session): Promise<TokenPairView> {
    const refreshToken = crypto.randomBytes(32).toString("base64url");
    await manager.insert(RefreshToken, {
      sessionId: session.id,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.config.REFRESH_TTL * 1000),
    });
    return {
      access_token: this.tokens.issueAccessToken(user, session.id, session.siteId ?? undefined),
      token_type: "bearer",
      expires_in: this.tokens.accessTtlSeconds,
      refresh_token: refreshToken,
      user: toUser(user),
    };
  }
}
