import { adminUserPatch, adminUserQuery, outboxEmailView, userIdParams, userView } from "../services/accounts.schemas";
import type { AdminUsers } from "../services/admin-users";
import type { Outbox } from "../services/outbox";
import { pageOf, pageQuery } from "../services/pagination";
import type { Routes } from "./route";

export function adminRoutes(adminUsers: AdminUsers, outbox: Outbox) {
  return (r: Routes) => {
    r.add(
      { method: "get", path: "/admin/users", tag: "admin", summary: "Users, by name or email prefix and role", roles: ["admin"], query: adminUserQuery, response: pageOf(userView) },
      ({ query }) => adminUsers.list(query),
    );
    r.add(
      { method: "patch", path: "/admin/users/:id", tag: "admin", summary: "Change a user's roles or disable them", roles: ["admin"], params: userIdParams, body: adminUserPatch, response: userView, errors: { 404: "not_found" } },
      ({ params, body }) => adminUsers.update(params.id, body),
    );
    r.add(
      { method: "get", path: "/admin/outbox", tag: "admin", summary: "Outgoing email, newest first", roles: ["admin"], query: pageQuery, response: pageOf(outboxEmailView) },
      ({ query }) => outbox.list(query),
    );
  };
}
