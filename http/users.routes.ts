import type { AccountService } from "../services/accounts";
import { changePasswordBody, publicUserView, userIdParams, userSearchQuery, userSummaryView, userView } from "../services/accounts.schemas";
import type { UserDirectory } from "../services/users";
import { pageOf } from "../services/pagination";
import type { Routes } from "./route";

export function userRoutes(accounts: AccountService, directory: UserDirectory) {
  return (r: Routes) => {
    r.add({ method: "get", path: "/users/me", tag: "users", summary: "The caller's account", auth: true, response: userView }, ({ auth }) => accounts.me(auth));
    r.add(
      { method: "put", path: "/users/me/password", tag: "users", summary: "Change the password; ends the other sessions", auth: true, body: changePasswordBody, status: 204, errors: { 400: "weak_password", 401: "invalid_credentials" } },
      async ({ auth, body }) => {
        await accounts.changePassword(auth, body);
      },
    );
    r.add(
      { method: "get", path: "/users", tag: "users", summary: "Users whose name starts with q", auth: true, query: userSearchQuery, response: pageOf(userSummaryView) },
      ({ query }) => directory.search(query),
    );
    r.add(
      { method: "get", path: "/users/:id", tag: "users", summary: "Another user's public profile", auth: true, params: userIdParams, response: publicUserView, errors: { 404: "not_found" } },
      ({ params }) => directory.get(params.id),
    );
  };
}
