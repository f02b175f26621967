import type { Request } from "express";
import { forbidden, unauthenticated } from "../../services/errors";
import type { Role } from "../../entities/user.entity";
import { hasRole, type AuthClaims, type TokenService } from "../../services/tokens";

/** The bearer token of a request, or undefined when the header is absent or malformed. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header);
  return match?.[1];
}

export async function authenticate(tokens: TokenService, req: Request): Promise<AuthClaims> {
  const token = bearerToken(req);
  if (!token) throw unauthenticated();
  return tokens.verifyAccessToken(token);
}

export async function authenticateOptional(tokens: TokenService, req: Request): Promise<AuthClaims | undefined> {
  return req.headers.authorization ? authenticate(tokens, req) : undefined;
}

/** 403 unless the caller holds one of `roles` (admin holds every role). */
export function requireRole(claims: AuthClaims, ...roles: Role[]): void {
  if (!hasRole(claims, ...roles)) throw forbidden();
}
