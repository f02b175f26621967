import type { BackgroundService } from "../services/backgrounds";
import { backgroundIdParams, backgroundView, createBackgroundBody, updateBackgroundBody } from "../services/backgrounds.schemas";
import { page, pageOf, pageQuery } from "../services/pagination";
import type { Routes } from "./route";

export function backgroundRoutes(backgrounds: BackgroundService) {
  return (r: Routes) => {
    r.add(
      { method: "get", path: "/backgrounds", tag: "backgrounds", summary: "List character backgrounds", auth: true, query: pageQuery, response: pageOf(backgroundView) },
      async ({ query }) => {
        const { items, total } = await backgrounds.list(query);
        return page(items, total, query);
      },
    );
    r.add(
      { method: "post", path: "/backgrounds", tag: "backgrounds", summary: "Create a background", roles: ["maintainer"], body: createBackgroundBody, response: backgroundView, errors: { 409: "name_taken" }, location: (background) => `/backgrounds/${background.id}` },
      ({ body }) => backgrounds.create(body),
    );
    r.add(
      { method: "get", path: "/backgrounds/:id", tag: "backgrounds", summary: "A character background", auth: true, params: backgroundIdParams, response: backgroundView, errors: { 404: "not_found" } },
      ({ params }) => backgrounds.get(params.id),
    );
    r.add(
      { method: "patch", path: "/backgrounds/:id", tag: "backgrounds", summary: "Edit a background", roles: ["maintainer"], params: backgroundIdParams, body: updateBackgroundBody, response: backgroundView, errors: { 404: "not_found", 409: "name_taken" } },
      ({ params, body }) => backgrounds.update(params.id, body),
    );
    r.add(
      { method: "delete", path: "/backgrounds/:id", tag: "backgrounds", summary: "Delete a background no character uses", roles: ["maintainer"], params: backgroundIdParams, status: 204, errors: { 404: "not_found", 409: "in_use" } },
      ({ params }) => backgrounds.remove(params.id),
    );
  };
}
