import type { Request } from "express";
import type { AccountService } from "../services/accounts";
import {
  acceptedView,
  emailBody,
  emailVerifiedView,
  loginBody,
  refreshBody,
  registerBody,
  resetPasswordBody,
  tokenPairView,
  userView,
  verifyEmailBody,
} from "../services/accounts.schemas";
import type { EmailFlows } from "../services/email-flows";
import type { SessionService } from "../services/sessions";
import type { RateLimiter } from "./middleware/rate-limit";
import type { Routes } from "./route";

export interface AuthRouteDeps {
  accounts: AccountService;
  sessions: SessionService;
  emailFlows: EmailFlows;
  rateLimiter: RateLimiter;
  /** RATE_LIMIT_AUTH_PER_MINUTE: per client address, and per account where one is named. */
  limitPerMinute: number;
}

/**
 * `before` middleware runs ahead of validation, so the account key is read from a
 * body that may be anything; a body without it is only limited per address.
 */
const bodyField = (field: string) => (req: Request) => {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === "string" && value.length > 0 ? `${field}:${value.toLowerCase()}` : undefined;
};

export function authRoutes({ accounts, sessions, emailFlows, rateLimiter, limitPerMinute }: AuthRouteDeps) {
  const perAddress = (name: string) => rateLimiter.rule({ name: `auth-${name}-ip`, windowSeconds: 60, limit: limitPerMinute });
  const perAccount = (name: string, field: string) =>
    rateLimiter.rule({ name: `auth-${name}-account`, windowSeconds: 60, limit: limitPerMinute, key: bodyField(field) });

  return (r: Routes) => {
    r.add(
      { method: "post", path: "/auth/register", tag: "auth", summary: "Create an account", body: registerBody, response: userView, before: [perAddress("register")], errors: { 400: "weak_password", 409: "username_taken, email_taken", 429: "rate_limited" } },
      async ({ body, res }) => {
        const user = await accounts.register(body);
        res.location(`/api/v1/users/${user.id}`);
        return user;
      },
    );
    r.add(
      { method: "post", path: "/auth/login", tag: "auth", summary: "Log in with username or email", body: loginBody, status: 200, response: tokenPairView, before: [perAddress("login"), perAccount("login", "username")], errors: { 401: "invalid_credentials, account_disabled", 403: "email_not_verified", 429: "rate_limited" } },
      ({ body }) => accounts.login(body),
    );
    r.add(
      { method: "post", path: "/auth/refresh", tag: "auth", summary: "Rotate a refresh token", body: refreshBody, status: 200, response: tokenPairView, errors: { 401: "invalid_refresh_token, refresh_token_reused" } },
      ({ body }) => sessions.refresh(body.refresh_token),
    );
    r.add(
      { method: "post", path: "/auth/logout", tag: "auth", summary: "Revoke this access token and its session", auth: true, status: 204 },
      async ({ auth }) => {
        await sessions.logout(auth);
      },
    );
    r.add(
      { method: "post", path: "/auth/email/verification", tag: "auth", summary: "Send a verification email", body: emailBody, status: 202, response: acceptedView, before: [perAddress("verification"), perAccount("verification", "email")], errors: { 429: "rate_limited" } },
      ({ body }) => emailFlows.requestVerification(body.email),
    );
    r.add(
      { method: "post", path: "/auth/email/verify", tag: "auth", summary: "Verify an email address with its token", body: verifyEmailBody, status: 200, response: emailVerifiedView, before: [perAddress("verify")], errors: { 400: "invalid_token", 429: "rate_limited" } },
      ({ body }) => emailFlows.verify(body.token),
    );
    r.add(
      { method: "post", path: "/auth/forgot-password", tag: "auth", summary: "Send a password reset email", body: emailBody, status: 202, response: acceptedView, before: [perAddress("forgot"), perAccount("forgot", "email")], errors: { 429: "rate_limited" } },
      ({ body }) => emailFlows.forgotPassword(body.email),
    );
    r.add(
      { method: "post", path: "/auth/reset-password", tag: "auth", summary: "Set a new password with a reset token", body: resetPasswordBody, status: 204, before: [perAddress("reset")], errors: { 400: "invalid_token, weak_password", 429: "rate_limited" } },
      async ({ body }) => {
        await emailFlows.resetPassword(body.token, body.new_password);
      },
    );
  };
}
