import { z } from "zod";
import type { OutboxEmail } from "../entities/email.entity";
import type { User } from "../entities/user.entity";
import { pageQuery } from "./pagination";
import { PASSWORD_MAX, PASSWORD_MIN, PASSWORD_PATTERN, passwordIdentityProblems, passwordRuleProblems, WEAK_PASSWORD } from "./password-policy";
import { codedIssue } from "./validation";
import { ROLES } from "../entities/user.entity";

export const username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/, "may contain only letters, digits, _ . -");
export const email = z.email().max(254);
/** A password as typed to prove who one is: shape only, so that a policy change locks nobody out. */
export const password = z.string().min(1).max(1024);
/**
 * A password being set: the policy's length, letter and digit, every failure named at
 * once as `weak_password`, and documented as minLength, maxLength and pattern. Not
 * being the username or email is checked where those are known (below, and the services).
 */
export const newPassword = z
  .string()
  .superRefine((value, ctx) => {
    for (const message of passwordRuleProblems(value)) ctx.addIssue(codedIssue(WEAK_PASSWORD, message));
  })
  .meta({
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    pattern: PASSWORD_PATTERN,
    description: `${PASSWORD_MIN}–${PASSWORD_MAX} characters with at least one letter and one digit, not equal to the username or email`,
  });

export const registerBody = z
  .strictObject({ username, email, password: newPassword })
  .superRefine((body, ctx) => {
    // Named with the password's other problems, so that one answer says everything to fix.
    if (typeof body.password !== "string") return;
    for (const message of passwordIdentityProblems(body.password, body)) ctx.addIssue(codedIssue(WEAK_PASSWORD, message, ["password"]));
  })
  .meta({ id: "RegisterRequest" });
export const loginBody = z.strictObject({ username: z.string().min(1).max(254), password }).meta({ id: "LoginRequest" });
export const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(512) });
export const emailBody = z.strictObject({ email }).meta({ id: "EmailRequest" });
const emailToken = z.string().min(1).max(512);
export const verifyEmailBody = z.strictObject({ token: emailToken }).meta({ id: "VerifyEmailRequest" });
export const resetPasswordBody = z.strictObject({ token: emailToken, new_password: newPassword }).meta({ id: "ResetPasswordRequest" });
export const changePasswordBody = z
  .strictObject({ current_password: password, new_password: newPassword })
  .meta({ id: "ChangePasswordRequest" });

export const userSearchQuery = pageQuery.extend({ q: z.string().max(32).optional() });
export const adminUserQuery = pageQuery.extend({ q: z.string().max(254).optional(), role: z.enum(ROLES).optional() });
export const userIdParams = z.strictObject({ id: z.string() });
export const adminUserPatch = z
  .strictObject({ roles: z.array(z.enum(ROLES)).max(ROLES.length).optional(), is_active: z.boolean().optional() })
  .meta({ id: "AdminUserPatch" });

/** The one body of the mail-sending routes, so that it never tells whether an address is known. */
export const acceptedView = z.object({ status: z.literal("accepted"), detail: z.string() }).meta({ id: "Accepted" });
export type AcceptedView = z.infer<typeof acceptedView>;
export const emailVerifiedView = z.object({ email: z.string(), verified: z.literal(true) }).meta({ id: "EmailVerified" });

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

export const userSummaryView = z.object({ id: z.uuid(), username: z.string() }).meta({ id: "UserSummary" });
export const publicUserView = z.object({ id: z.uuid(), username: z.string(), created_at: z.string() }).meta({ id: "PublicUser" });

export const toUserSummary = (u: User) => ({ id: u.id, username: u.username });
export const toPublicUser = (u: User) => ({ id: u.id, username: u.username, created_at: u.createdAt.toISOString() });

export const outboxEmailView = z
  .object({
    id: z.uuid(),
    to: z.string(),
    subject: z.string(),
    body: z.string(),
    status: z.enum(["pending", "sent", "failed"]),
    created_at: z.string(),
  })
  .meta({ id: "OutboxEmail" });
export type OutboxEmailView = z.infer<typeof outboxEmailView>;

export const toOutboxEmail = (o: OutboxEmail): OutboxEmailView => ({
  id: o.id,
  to: o.to,
  subject: o.subject,
  body: o.body,
  status: o.status,
  created_at: o.createdAt.toISOString(),
});
