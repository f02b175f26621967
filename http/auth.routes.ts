import type { AccountService } from "../services/accounts";
import { loginBody, refreshBody, registerBody, tokenPairView, userView } from "../services/accounts.schemas";
import type { SessionService } from "../services/sessions";
import type { Routes } from "./route";

export function authRoutes(accounts: AccountService, sessions: SessionService) {
  return (r: Routes) => {
    r.add(
      { method: "post", path: "/auth/register", tag: "auth", summary: "Create an account", body: registerBody, response: userView, errors: { 400: "weak_password", 409: "username_taken, email_taken", 429: "rate_limited" } },
      async ({ body, res }) => {
        const user = await accounts.register(body);
        res.location(`/api/v1/users/${user.id}`);
        return user;
      },
    );
    r.add(
      { method: "post", path: "/auth/login", tag: "auth", summary: "Log in with username or email", body: loginBody, status: 200, response: tokenPairView, errors: { 401: "invalid_credentials, account_disabled", 403: "email_not_verified", 429: "rate_limited" } },
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
  };
}

export function userRoutes(accounts: AccountService) {
  return (r: Routes) => {
    r.add({ method: "get", path: "/users/me", tag: "users", summary: "The caller's account", auth: true, response: userView }, ({ auth }) => accounts.me(auth));
  };
}
