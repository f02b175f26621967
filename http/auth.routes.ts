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
import { clientAddress, type RateLimiter } from "./middleware/rate-limit";
import type { Routes } from "./route";

export interface AuthRouteDeps {
  accounts: AccountService;
  sessions: SessionService;
  emailFlows: EmailFlows;
  rateLimiter: RateLimiter;
  /** RATE_LIMIT_AUTH_PER_MINUTE: per client address, per email, and failed logins per account and address. */
  limitPerMinute: number;
  /** RATE_LIMIT_LOGIN_PER_MINUTE: logins per client address. */
  loginsPerMinute: number;
}

/**
 * `before` middleware runs ahead of validation, so the account field is read from a
 * body that may be anything; a body without a usable one is only limited per address
 * (and then refused by validation).
 */
const bodyField = (req: Request, field: string): string | undefined => {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === "string" && value.length > 0 && value.length <= 254 && !value.includes("\u0000") ? value : undefined;
};

export function authRoutes({ accounts, sessions, emailFlows, rateLimiter, limitPerMinute, loginsPerMinute }: AuthRouteDeps) {
  const perAddress = (name: string, limit = limitPerMinute) => rateLimiter.rule({ name: `auth-${name}-ip`, windowSeconds: 60, limit });
  /** Mail to one address is limited wherever the requests come from: nobody mail-bombs an inbox. */
  const perEmail = (name: string) =>
    rateLimiter.rule({
      name: `auth-${name}-email`,
      windowSeconds: 60,
      limit: limitPerMinute,
      applies: (req) => bodyField(req, "email") !== undefined,
      key: (req) => bodyField(req, "email")!.toLowerCase(),
    });
  /**
   * Failed logins of one account from one address, whichever of its names was typed. A
   * stranger's failures never lock the owner out from another address.
   */
  const loginFailures = rateLimiter.rule({
    name: "auth-login-account",
    windowSeconds: 60,
    limit: limitPerMinute,
    failuresOnly: true,
    applies: (req) => bodyField(req, "username") !== undefined,
    key: async (req) => `${await accounts.accountKey(bodyField(req, "username")!)}|${clientAddress(req)}`,
  });

  return (r: Routes) => {
    r.add(
      { method: "post", path: "/auth/register", tag: "auth", summary: "Create an account", body: registerBody, response: userView, before: [perAddress("register")], errors: { 400: "weak_password", 409: "username_taken, email_taken", 429: "rate_limited" }, location: (user) => `/users/${user.id}` },
      ({ body }) => accounts.register(body),
    );
    r.add(
      { method: "post", path: "/auth/login", tag: "auth", summary: "Log in with username or email", body: loginBody, status: 200, response: tokenPairView, before: [perAddress("login", loginsPerMinute), loginFailures], errors: { 401: "invalid_credentials, account_disabled", 403: "email_not_verified", 429: "rate_limited" } },
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
      { method: "post", path: "/auth/email/verification", tag: "auth", summary: "Send a verification email", body: emailBody, status: 202, response: acceptedView, before: [perAddress("verification"), perEmail("verification")], errors: { 429: "rate_limited" } },
      ({ body }) => emailFlows.requestVerification(body.email),
    );
    r.add(
      { method: "post", path: "/auth/email/verify", tag: "auth", summary: "Verify an email address with its token", body: verifyEmailBody, status: 200, response: emailVerifiedView, before: [perAddress("verify")], errors: { 400: "invalid_token", 429: "rate_limited" } },
      ({ body }) => emailFlows.verify(body.token),
    );
    r.add(
      { method: "post", path: "/auth/forgot-password", tag: "auth", summary: "Send a password reset email", body: emailBody, status: 202, response: acceptedView, before: [perAddress("forgot"), perEmail("forgot")], errors: { 429: "rate_limited" } },
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
