import { OpenApiGeneratorV31, type OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import swaggerUi from "swagger-ui-express";

/** `/openapi.json`, generated from the zod schemas the routes validate with, and `/docs`. */
export function docsRoutes(router: Router, registry: OpenAPIRegistry, version: string) {
  let document: object | undefined;
  const build = () =>
    (document ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: "3.1.0",
      info: {
        title: "Tavern API",
        version,
        description: "REST API of Tavern. Realtime rooms are described in spec/realtime.md.",
      },
      servers: [{ url: "/" }],
    }));

  router.get("/openapi.json", (_req, res) => {
    res.json(build());
  });
  router.use("/docs", swaggerUi.serve);
  router.get("/docs", (req, res, next) => swaggerUi.setup(build(), { customSiteTitle: "Tavern API" })(req, res, next));
}
