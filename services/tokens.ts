import crypto from "node:crypto";
import jwt from "jsonwebtoken";
import type { TavernPresence } from "../infra/presence";
import type { Config } from "../config";
import { ROLES, type Role } from "../entities/user.entity";
import type { Logger } from "../infra/logger";
import { unauthenticated } from "./errors";
import type { RevocationLedger } from "./revocations";


/** What a verified access token tells the server about its bearer. */
export interface AuthClaims {
  userId: string;
  roles: Role[];
  jti: string;
  /**
   * The login session (refresh-token family) this token belongs to. Not `sessionId`:
   * rooms hand claims to Colyseus as auth data, which reads a top-level `sessionId` as
   * the connection's id, and every connection of one login would share it.
   */
  sid: string;
  siteId?: string;
  expiresAt: number;
}

export interface Revocation {
  userId: string;
  /** When set, only this session; otherwise every session of the user except `keepSessionId`. */
  sessionId?: string;
  keepSessionId?: string;
  jti?: string;
}

/** How many verified tokens are kept (a few MB); the oldest goes first. */
const VERIFIED_TOKENS_KEPT = 10_000;

/** Set in presence once its copy of the revocations is complete; gone after a flush or a restart of Redis. */
const REVOCATIONS_LOADED = "revocations:loaded";

const ALGORITHM = "HS256";
const ISSUER = "tavern";
const AUDIENCE = "tavern-api";
export const REVOCATION_CHANNEL = "auth.revoked";

/**
 * Issues and verifies access tokens: one verifier for REST middleware and for the
 * rooms' `onAuth`, pinning algorithm, issuer and audience, requiring `sub`, `jti`,
 * `exp`, and consulting revocations kept in presence (so they span processes).
 */
export class TokenService {
  /**
   * The secret as a KeyObject, made once: given a string, jsonwebtoken first tries to
   * parse it as a public key on every call and throws that attempt away.
   */
  private readonly key: crypto.KeyObject;
  private reloading?: Promise<void>;
  /**
   * Tokens whose signature and claims checked out, newest last: a client sends the same
   * token with every request until it expires, and the parse and HMAC give the same
   * answer every time. Expiry and revocation are still checked on every use.
   */
  private readonly verified = new Map<string, Readonly<AuthClaims>>();

  constructor(
    private readonly config: Pick<Config, "JWT_SECRET" | "JWT_TTL">,
    private readonly presence: TavernPresence,
    private readonly ledger: RevocationLedger,
    private readonly logger: Logger,
  ) {
    this.key = crypto.createSecretKey(Buffer.from(config.JWT_SECRET, "utf8"));
  }

  get accessTtlSeconds(): number {
    return this.config.JWT_TTL;
  }

  issueAccessToken(user: { id: string; roles: Role[] }, sessionId: string, siteId?: string): string {
    return jwt.sign({ roles: user.roles, sid: sessionId, ...(siteId ? { site_id: siteId } : {}) }, this.key, {
      algorithm: ALGORITHM,
      subject: user.id,
      jwtid: crypto.randomUUID(),
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: this.config.JWT_TTL,
    });
  }

  /** Verifies signature, claims and revocation; throws 401 `unauthenticated` otherwise. */
  async verifyAccessToken(token: string): Promise<AuthClaims> {
    let claims = this.verified.get(token);
    if (claims && claims.expiresAt * 1000 <= Date.now()) {
      this.verified.delete(token);
      claims = undefined;
    }
    if (!claims) {
      claims = this.verifySignature(token);
      this.verified.set(token, claims);
      if (this.verified.size > VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
    }
    if (await this.isRevoked(claims)) throw unauthenticated("The access token was revoked.");
    return claims;
  }

  /** Signature, algorithm, issuer, audience, expiry and the claims Tavern requires. */
  private verifySignature(token: string): Readonly<AuthClaims> {
    let payload: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      if (typeof decoded === "string") throw new Error("not a JSON payload");
      payload = decoded;
    } catch {
      throw unauthenticated("The access token is invalid or expired.");
    }
    const { sub, jti, exp, sid, roles } = payload;
    if (typeof sub !== "string" || typeof jti !== "string" || typeof exp !== "number" || typeof sid !== "string") {
      throw unauthenticated("The access token lacks required claims.");
    }
    return Object.freeze({
      userId: sub,
      roles: Array.isArray(roles) ? roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)) : [],
      jti,
      sid,
      siteId: typeof payload.site_id === "string" ? payload.site_id : undefined,
      expiresAt: exp,
    });
  }

  /**
   * Whether a token (already verified once) was revoked since. Presence answers; when
   * it has lost its copy (Redis flushed or restarted empty), the database answers
   * until the copy is rebuilt, so a revoked token never works again.
   */
  async isRevoked(claims: Pick<AuthClaims, "jti" | "sid">): Promise<boolean> {
    const [jti, sid, loaded] = await this.presence.mget(`revoked:jti:${claims.jti}`, `revoked:sid:${claims.sid}`, REVOCATIONS_LOADED);
    if (jti || sid) return true;
    if (loaded) return false;
    void this.reload();
    return this.ledger.isRevoked(claims);
  }

  /** Rebuilds presence's copy of the revocations from the database (at start, and after presence lost it). */
  reload(): Promise<void> {
    this.reloading ??= (async () => {
      const { sessionIds, jtis } = await this.ledger.recent(this.config.JWT_TTL);
      const ttl = this.config.JWT_TTL + 5;
      await Promise.all([
        ...sessionIds.map((sid) => this.presence.setex(`revoked:sid:${sid}`, "1", ttl)),
        ...jtis.map((jti) => this.presence.setex(`revoked:jti:${jti}`, "1", ttl)),
      ]);
      await this.presence.set(REVOCATIONS_LOADED, "1");
      this.logger.info({ sessions: sessionIds.length, tokens: jtis.length }, "revocations loaded into presence");
    })()
      .catch((err) => this.logger.error({ err }, "loading revocations into presence failed"))
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /**
   * Marks access tokens revoked in presence for as long as they could still be valid,
   * and tells every process so that live connections are closed (4401).
   */
  async revoke(revocation: Revocation, sessionIds: string[] = []): Promise<void> {
    const ttl = this.config.JWT_TTL + 5;
    const writes: Promise<unknown>[] = [];
    if (revocation.jti) writes.push(Promise.resolve(this.presence.setex(`revoked:jti:${revocation.jti}`, "1", ttl)));
    for (const sid of sessionIds) writes.push(Promise.resolve(this.presence.setex(`revoked:sid:${sid}`, "1", ttl)));
    await Promise.all(writes);
    await this.presence.publish(REVOCATION_CHANNEL, revocation);
  }

}

/** Whether a live connection authenticated with `claims` is hit by `revocation`. */
export function isRevokedBy(claims: AuthClaims, revocation: Revocation): boolean {
  if (claims.userId !== revocation.userId) return false;
  if (revocation.jti && revocation.jti === claims.jti) return true;
  if (revocation.sessionId) return revocation.sessionId === claims.sid;
  if (revocation.jti) return false;
  return claims.sid !== revocation.keepSessionId;
}

export const hasRole = (claims: AuthClaims, ...roles: Role[]) =>
  claims.roles.includes("admin") || roles.some((r) => claims.roles.includes(r));
