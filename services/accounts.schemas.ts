import { z } from "zod";
import type { User } from "../entities/user.entity";
import { ROLES } from "./tokens";

export const username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/, "may contain only letters, digits, _ . -");
export const email = z.email().max(254);
/** Shape only; the policy (letters, digits, not the username) is checked by the service. */
export const password = z.string().min(1).max(1024);

export const registerBody = z.strictObject({ username, email, password }).meta({ id: "RegisterRequest" });
export const loginBody = z.strictObject({ username: z.string().min(1).max(254), password }).meta({ id: "LoginRequest" });
export const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(512) });

export const userView = z
  .object({
    id: z.uuid(),
    username: z.string(),
    email: z.string(),
    roles: z.array(z.enum(ROLES)),
    is_active: z.boolean(),
    is_verified: z.boolean(),
    created_at: z.string(),
    last_login_at: z.string().nullable(),
  })
  .meta({ id: "User" });
export type UserView = z.infer<typeof userView>;

export const tokenPairView = z
  .object({
    access_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int(),
    refresh_token: z.string(),
    user: userView,
  })
  .meta({ id: "TokenPair" });
export type TokenPairView = z.infer<typeof tokenPairView>;

export const toUser = (u: User): UserView => ({
  id: u.id,
  username: u.username,
  email: u.email,
  roles: u.roles,
  is_active: u.isActive,
  is_verified: u.isVerified,
  created_at: u.createdAt.toISOString(),
  last_login_at: u.lastLoginAt ? u.lastLoginAt.toISOString() : null,
});
