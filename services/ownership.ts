import { forbidden } from "./errors";
import type { Role } from "../entities/user.entity";
import { hasRole, type AuthClaims } from "./tokens";

/**
 * 403 `forbidden` unless the caller owns the resource or holds one of `roles`. With no
 * roles only the owner passes, not even an admin: some writes are the owner's alone.
 */
export function assertOwnerOr(claims: AuthClaims, ownerId: string, ...roles: Role[]): void {
  if (claims.userId === ownerId) return;
  if (roles.length > 0 && hasRole(claims, ...roles)) return;
  throw forbidden();
}

/** Whether the caller owns the resource or holds one of `roles` (admin holds every role). */
export function isOwnerOr(claims: AuthClaims, ownerId: string, ...roles: Role[]): boolean {
  return claims.userId === ownerId || (roles.length > 0 && hasRole(claims, ...roles));
}
