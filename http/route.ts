import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import type { Request, Response, Router } from "express";
import { z } from "zod";
import type { Role } from "../entities/user.entity";
import type { AuthClaims, TokenService } from "../services/tokens";
import { authenticate, authenticateOptional, requireRole } from "./middleware/auth";
import { DomainError } from "../services/errors";
import { parseOrThrow } from "../services/validation";
import type { RequestHandler } from "express";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<B, Q, P> {
  method: Method;
  /** Express path relative to the router, e.g. `/characters/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** `true`: bearer token required; `"optional"`: verified when present. */
  auth?: boolean | "optional";
  /** Roles of which the caller must hold one (implies `auth`). */
  roles?: Role[];
  body?: B;
  query?: Q;
  params?: P;
  status?: number;
  response?: Schema;
  /** Error statuses documented for this route, with their codes. */
  errors?: Record<number, string>;
  /** Middleware run before validation (rate limits). */
  before?: RequestHandler[];
  /**
   * Where the resource a 201 created lives, relative to the API base (`/characters/${id}`):
   * sent as `Location` and documented as a response header.
   */
  location?: (created: any, params: Out<P>) => string;
}

export interface RouteContext<B, Q, P, A> {
  body: Out<B>;
  query: Out<Q>;
  params: Out<P>;
  auth: A;
  req: Request;
  res: Response;
}

type AuthOf<S> = S extends { auth: "optional" } ? AuthClaims | undefined : S extends { auth: true } | { roles: Role[] } ? AuthClaims : undefined;

const JSON_TYPES = ["application/json", "application/*+json"];

const unsupportedBody = (type: string | undefined) =>
  new DomainError(
    415,
    "unsupported_media_type",
    `This route takes a JSON body with Content-Type: application/json${type ? `, not ${type.slice(0, 100)}` : "; the request named no Content-Type"}.`,
  );

const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });

/**
 * Declares a route once: the same zod schemas validate the request (strictly) and
 * describe it in the OpenAPI document. The handler gets parsed values and the caller's
 * claims and returns the response body (or undefined for 204).
 */
export class Routes {
  constructor(
    readonly router: Router,
    private readonly registry: OpenAPIRegistry,
    private readonly basePath: string,
    private readonly tokens: TokenService,
  ) {}

  add<S extends RouteSpec<B, Q, P>, B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined>(
    spec: S & RouteSpec<B, Q, P>,
    handler: (ctx: RouteContext<B, Q, P, AuthOf<S>>) => unknown,
  ): void {
    this.document(spec);
    const status = spec.status ?? (spec.method === "post" ? 201 : 200);
    const needsAuth = spec.auth === true || spec.roles !== undefined;
    this.router[spec.method](spec.path, ...(spec.before ?? []), async (req: Request, res: Response) => {
      const auth = needsAuth
        ? await authenticate(this.tokens, req)
        : spec.auth === "optional"
          ? await authenticateOptional(this.tokens, req)
          : undefined;
      if (spec.roles && auth) requireRole(auth, ...spec.roles);
      // A body of another type would reach validation as no body at all ("is required" for every field).
      if (spec.body && req.is(JSON_TYPES) === false) throw unsupportedBody(req.headers["content-type"]);
      const ctx = {
        params: spec.params ? parseOrThrow(spec.params, req.params, "") : undefined,
        query: spec.query ? parseOrThrow(spec.query, req.query, "") : undefined,
        body: spec.body ? parseOrThrow(spec.body, req.body ?? {}, "") : undefined,
        auth,
        req,
        res,
      } as RouteContext<B, Q, P, AuthOf<S>>;
      const result = await handler(ctx);
      if (res.headersSent) return;
      if (result === undefined) return void res.status(spec.status ?? 204).end();
      if (spec.location) res.location(this.basePath + spec.location(result, ctx.params));
      res.status(status).json(result);
    });
  }

  private document(spec: Omit<RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>, "location"> & { location?: unknown }) {
    const path = this.basePath + spec.path.replace(/:(\w+)/g, "{$1}");
    const responses: RouteConfig["responses"] = {
      [spec.status ?? (spec.method === "post" ? 201 : 200)]: {
        description: "Success",
        ...(spec.location ? { headers: { Location: { description: "Where the created resource lives", schema: { type: "string" } } } } : {}),
        ...(spec.response ? { content: { "application/json": { schema: spec.response } } } : {}),
      },
    };
    const errors = { ...(spec.body || spec.query ? { 400: "validation_failed" } : {}), ...(spec.body ? { 415: "unsupported_media_type" } : {}), ...spec.errors };
    if (spec.auth || spec.roles) Object.assign(errors, { 401: "unauthenticated" });
    if (spec.roles) Object.assign(errors, { 403: "forbidden" });
    for (const [code, codes] of Object.entries(errors)) {
      responses[code] = { description: codes, content: { "application/problem+json": { schema: problem } } };
    }
    this.registry.registerPath({
      method: spec.method,
      path,
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.auth || spec.roles ? { security: [{ bearer: [] }] } : {}),
      request: {
        ...(spec.params ? { params: spec.params as RouteConfig["request"] extends infer R ? R extends { params?: infer X } ? X : never : never } : {}),
        ...(spec.query ? { query: spec.query as never } : {}),
        ...(spec.body ? { body: { content: { "application/json": { schema: spec.body } } } } : {}),
      },
      responses,
    });
  }
}
