import { tokenPairView } from "../services/accounts.schemas";
import { pageOf, pageQuery } from "../services/pagination";
import type { SiteService } from "../services/sites/sites";
import {
  addMemberBody,
  createSiteBody,
  memberParams,
  memberView,
  mySiteView,
  selectSiteBody,
  siteIdParams,
  siteView,
} from "../services/sites/sites.schemas";
import type { Routes } from "./route";

export function siteRoutes(sites: SiteService) {
  return (r: Routes) => {
    r.add(
      { method: "get", path: "/sites", tag: "sites", summary: "Sites: every site for an admin, the caller's own for anyone else", auth: true, query: pageQuery, response: pageOf(siteView) },
      ({ auth, query }) => sites.list(auth, query),
    );
    r.add(
      { method: "post", path: "/sites", tag: "sites", summary: "Create a site", roles: ["admin"], body: createSiteBody, response: siteView, errors: { 409: "slug_taken" }, location: (site) => `/sites/${site.id}` },
      ({ body }) => sites.create(body),
    );
    r.add(
      { method: "get", path: "/sites/:id", tag: "sites", summary: "A site (its members and admins)", auth: true, params: siteIdParams, response: siteView, errors: { 403: "forbidden", 404: "not_found" } },
      ({ auth, params }) => sites.get(auth, params.id),
    );
    r.add(
      { method: "get", path: "/sites/:id/users", tag: "sites", summary: "A site's members (its managers and admins)", auth: true, params: siteIdParams, query: pageQuery, response: pageOf(memberView), errors: { 403: "forbidden", 404: "not_found" } },
      ({ auth, params, query }) => sites.members(auth, params.id, query),
    );
    r.add(
      { method: "post", path: "/sites/:id/users", tag: "sites", summary: "Make a user a member of a site", roles: ["admin"], params: siteIdParams, body: addMemberBody, response: memberView, errors: { 404: "not_found (site, user)", 409: "already_member" }, location: (member, params) => `/sites/${params.id}/users/${member.user_id}` },
      ({ params, body }) => sites.addMember(params.id, body),
    );
    r.add(
      { method: "delete", path: "/sites/:id/users/:user_id", tag: "sites", summary: "Remove a member from a site; refused from their next request on", roles: ["admin"], params: memberParams, status: 204, errors: { 404: "not_found (site, site member)" } },
      async ({ params }) => {
        await sites.removeMember(params.id, params.user_id);
      },
    );
    r.add(
      { method: "get", path: "/users/me/sites", tag: "users", summary: "The sites the caller is a member of, with their site role", auth: true, query: pageQuery, response: pageOf(mySiteView) },
      ({ auth, query }) => sites.mine(auth, query),
    );
    r.add(
      { method: "post", path: "/auth/site", tag: "auth", summary: "Choose the active site: a new token pair of this session carrying site_id (the old refresh token is spent)", auth: true, body: selectSiteBody, status: 200, response: tokenPairView, errors: { 403: "forbidden (not a member)" } },
      ({ auth, body }) => sites.select(auth, body.site_id),
    );
  };
}
