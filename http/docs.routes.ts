import path from "node:path";
import { OpenApiGeneratorV31, type OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import swaggerUi from "swagger-ui-express";

/** The realtime protocol, as the repository documents it. */
const REALTIME_DOC = path.resolve(__dirname, "../docs/realtime.md");

/**
 * `/openapi.json`, generated from the zod schemas the routes validate with, `/docs`,
 * and `/docs/realtime.md`, the rooms' protocol, which the API reference links to.
 */
export function docsRoutes(router: Router, registry: OpenAPIRegistry, version: string) {
  let document: object | undefined;
  const build = () =>
    (document ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: "3.1.0",
      info: {
        title: "Tavern API",
        version,
        description:
          "REST API of Tavern. The realtime rooms (`world_zone`, `inbox`, `dm_channel`, joined with `@colyseus/sdk` on the same port) " +
          "are described in [docs/realtime.md](/docs/realtime.md), in the repository and served by this server.",
      },
      servers: [{ url: "/" }],
    }));

  router.get("/openapi.json", (_req, res) => {
    res.json(build());
  });
  router.get("/docs/realtime.md", (_req, res, next) => {
    res.type("text/markdown; charset=utf-8").sendFile(REALTIME_DOC, (err) => err && next(err));
  });
  router.use("/docs", swaggerUi.serve);
  router.get("/docs", (req, res, next) => swaggerUi.setup(build(), { customSiteTitle: "Tavern API" })(req, res, next));
}
