import type { Request, Response } from "express";
import { z } from "zod";
import type { CmsService } from "../services/cms/cms";
import { cmsConfigView, cmsKeyParams, cmsVersionsView, putConfigBody, rollbackBody, type CmsConfigView } from "../services/cms/schemas";
import { DomainError, validationFailed } from "../services/errors";
import { page, pageQuery } from "../services/pagination";
import type { Routes } from "./route";

const ifMatchHeader = z.object({
  "if-match": z.string().meta({ description: 'The version read, as a number (`3`) or as the ETag GET returned (`"3"`).' }),
});
const optionalIfMatchHeader = z.object({ "if-match": ifMatchHeader.shape["if-match"].optional() });

const VERSION = /^\s*(?:"(\d{1,9})"|(\d{1,9}))\s*$/;

/**
 * The version an `If-Match` header names: a bare number or our strong ETag `"N"`.
 * Missing is 428: a write that does not say what it was based on could overwrite a
 * change it never saw. `*` and lists are refused for the same reason.
 */
function ifMatch(req: Request, required: true): number;
function ifMatch(req: Request, required: false): number | undefined;
function ifMatch(req: Request, required: boolean): number | undefined {
  const header = req.headers["if-match"];
  if (header === undefined) {
    if (!required) return undefined;
    throw new DomainError(428, "precondition_required", 'This write needs If-Match with the version you read (a number, or the ETag GET returned such as "3").');
  }
  const match = VERSION.exec(header);
  if (!match) throw validationFailed([{ field: "If-Match", message: 'must be one version: a number or the ETag GET returned, such as "3"' }]);
  return Number(match[1] ?? match[2]);
}

const withETag = (res: Response, view: CmsConfigView) => {
  res.setHeader("ETag", `"${view.version}"`);
  return view;
};

export function cmsRoutes(cms: CmsService) {
  return (r: Routes) => {
    r.add(
      { method: "get", path: "/cms/:key", tag: "cms", summary: "A config (version 0 and defaults until first written); ETag is its version", params: cmsKeyParams, response: cmsConfigView, errors: { 404: "not_found" } },
      async ({ params, res }) => withETag(res, await cms.get(params.key)),
    );
    r.add(
      {
        method: "put",
        path: "/cms/:key",
        tag: "cms",
        summary: "Store a new version, based on the version named by If-Match",
        roles: ["admin"],
        params: cmsKeyParams,
        headers: ifMatchHeader,
        body: putConfigBody,
        response: cmsConfigView,
        errors: { 404: "not_found", 412: "version_conflict", 428: "precondition_required" },
      },
      async ({ auth, params, body, req, res }) => withETag(res, await cms.put(auth, params.key, ifMatch(req, true), body.config)),
    );
    r.add(
      { method: "get", path: "/cms/:key/versions", tag: "cms", summary: "Every stored version, newest first", roles: ["admin"], params: cmsKeyParams, query: pageQuery, response: cmsVersionsView, errors: { 404: "not_found" } },
      async ({ params, query }) => {
        const { items, total } = await cms.versions(params.key, query);
        return page(items, total, query);
      },
    );
    r.add(
      {
        method: "post",
        path: "/cms/:key/rollback",
        tag: "cms",
        summary: "Store an old version's content as the newest version (If-Match optional)",
        roles: ["admin"],
        params: cmsKeyParams,
        headers: optionalIfMatchHeader,
        body: rollbackBody,
        status: 200,
        response: cmsConfigView,
        errors: { 404: "not_found", 412: "version_conflict" },
      },
      async ({ auth, params, body, req, res }) => withETag(res, await cms.rollback(auth, params.key, body.version, ifMatch(req, false))),
    );
  };
}
