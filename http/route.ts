import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { Role } from "../entities/user.entity";
import type { AuthClaims, TokenService } from "../services/tokens";
import { authenticate, authenticateOptional, requireRole } from "./middleware/auth";
import { routeBase } from "./middleware/traffic";
import { DomainError } from "../services/errors";
import { parseOrThrow } from "../services/validation";
import { JsonText } from "../services/versioned-cache";
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
  /** The success body's media type when it is not JSON (a `text/event-stream` the handler writes itself). */
  responseType?: "text/event-stream";
  /** Error statuses documented for this route, with their codes. */
  errors?: Record<number, string>;
  /** Middleware run before validation (rate limits). */
  before?: RequestHandler[];
  /** Request headers the handler reads itself (e.g. If-Match), for the OpenAPI document. */
  headers?: z.ZodObject;
  /**
   * The route reads its body itself, as the exact bytes received (`ctx.rawBody`), e.g. a
   * webhook whose signature covers them: the global JSON parser leaves it unread, `body`
   * only documents it, and the handler validates it once it has checked the bytes.
   */
  rawBody?: boolean;
  /**
   * Where the resource a 201 created lives, relative to the API base (`/characters/${id}`):
   * sent as `Location` and documented as a response header.
   */
  location?: (created: any, params: Out<P>) => string;
  /**
   * The media types a `rawBody` route takes: another is 415 before a byte is read. Without
   * it the route reads any body. `body` documents the JSON form; the others are binary.
   */
  bodyTypes?: string[];
  /** The largest raw body this route reads (413 beyond it), when not BODY_LIMIT. */
  bodyLimit?: string;
  /** Media types, besides JSON, that the success response may take (a file the handler writes itself). */
  binaryResponseTypes?: string[];
}

export interface RouteContext<B, Q, P, A> {
  body: Out<B>;
  query: Out<Q>;
  params: Out<P>;
  auth: A;
  /** The body as received, for `rawBody` routes (empty when there was none). */
  rawBody: Buffer;
  req: Request;
  res: Response;
}

type AuthOf<S> = S extends { auth: "optional" } ? AuthClaims | undefined : S extends { auth: true } | { roles: Role[] } ? AuthClaims : undefined;

const JSON_TYPES = ["application/json", "application/*+json"];
const NO_BYTES = Buffer.alloc(0);

const unsupportedBody = (type: string | undefined, accepted?: string[]) =>
  new DomainError(
    415,
    "unsupported_media_type",
    `This route takes ${accepted ? "a body" : "a JSON body"} with Content-Type: ${accepted ? accepted.join(" or ") : "application/json"}${type ? `, not ${type.slice(0, 100)}` : "; the request named no Content-Type"}.`,
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

const binary = z.string().meta({ format: "binary" });
const binaryContent = (types: string[] | undefined) => Object.fromEntries((types ?? []).map((type) => [type, { schema: binary }]));

const rawKey = (method: string, path: string) => `${method.toUpperCase()} ${path.toLowerCase().replace(/\/+$/, "")}`;

/**
 * The routes declared `rawBody`, by method and full path (matched as Express matches:
 * case-insensitively, with or without a trailing slash), so that the global JSON parser
 * can leave their bodies unread. Only fixed paths: a raw-body route has no parameters.
 */
export class RawBodyRoutes {
  private readonly keys = new Set<string>();

  /** `limit` as express.json takes it: the same cap for raw bodies. */
  constructor(readonly limit: string) {}

  add(method: string, path: string): void {
    if (path.includes(":")) throw new Error(`a rawBody route has a fixed path: ${path}`);
    this.keys.add(rawKey(method, path));
  }

  includes(req: Request): boolean {
    return this.keys.has(rawKey(req.method, req.path));
  }
}

/**
 * The JSON answer (or the text of one already serialised), written as one string.
 * Express's `res.json` also looks up a charset, converts a body over 1,000 characters to
 * a Buffer (two chunks to write) and checks freshness, which only an answer carrying an
 * ETag (CMS) can use: that one still goes through Express, for its 304.
 */
function sendJson(res: Response, status: number, body: unknown): void {
  if (res.getHeader("ETag") !== undefined) return void res.status(status).json(body);
  const json = body instanceof JsonText ? body.text : JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(json));
  res.end(json);
}

/**
 * Declares a route once: the same zod schemas validate the request (strictly) and
 * describe it in the OpenAPI document. The handler gets parsed values and the caller's
 * claims and returns the response body (or undefined for 204).
 */
export class Routes {
  /** Routers by a path's first segment (`/characters`), mounted on `router` as first used. */
  private readonly groups = new Map<string, Router>();

  constructor(
    readonly router: Router,
    private readonly registry: OpenAPIRegistry,
    private readonly basePath: string,
    private readonly tokens: TokenService,
    private readonly rawBodies: RawBodyRoutes,
  ) {}

  add<S extends RouteSpec<B, Q, P>, B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined>(
    spec: S & RouteSpec<B, Q, P>,
    handler: (ctx: RouteContext<B, Q, P, AuthOf<S>>) => unknown,
  ): void {
    this.document(spec);
    const status = spec.status ?? (spec.method === "post" ? 201 : 200);
    const needsAuth = spec.auth === true || spec.roles !== undefined;
    const accepted = spec.rawBody ? spec.bodyTypes : spec.body ? JSON_TYPES : undefined;
    // Who is asking, and whether the body is of a type the route takes.
    const admit = async (req: Request) => {
      const auth = needsAuth
        ? await authenticate(this.tokens, req)
        : spec.auth === "optional"
          ? await authenticateOptional(this.tokens, req)
          : undefined;
      if (spec.roles && auth) requireRole(auth, ...spec.roles);
      // A body of another type would reach validation as no body at all ("is required" for every field).
      if (accepted && req.is(accepted) === false) throw unsupportedBody(req.headers["content-type"], spec.rawBody ? accepted : undefined);
      return auth;
    };
    // A raw body is read only after that: a stranger's or a wrong-typed upload is never buffered.
    const readRaw: RequestHandler[] = [];
    if (spec.rawBody) {
      this.rawBodies.add(spec.method, this.basePath + spec.path);
      readRaw.push(
        async (req, res, next) => {
          res.locals.auth = await admit(req);
          next();
        },
        express.raw({ type: () => true, limit: spec.bodyLimit ?? this.rawBodies.limit }),
      );
    }
    // Most requests send no query at all: its parse (defaults only) is done once.
    let emptyQuery: unknown;
    const parseQuery = (query: Record<string, unknown>) => {
      if (!spec.query) return undefined;
      if (Object.keys(query).length > 0) return parseOrThrow(spec.query, query, "");
      return (emptyQuery ??= Object.freeze(parseOrThrow(spec.query, {}, "")));
    };
    const { router, path } = this.groupOf(spec.path);
    router[spec.method](path, ...(spec.before ?? []), ...readRaw, async (req: Request, res: Response) => {
      const auth = spec.rawBody ? (res.locals.auth as AuthClaims | undefined) : await admit(req);
      const ctx = {
        params: spec.params ? parseOrThrow(spec.params, req.params, "") : undefined,
        query: parseQuery(req.query),
        body: spec.body && !spec.rawBody ? parseOrThrow(spec.body, req.body ?? {}, "") : undefined,
        // Anything but the bytes themselves (a body some other parser read) verifies as nothing.
        rawBody: spec.rawBody && Buffer.isBuffer(req.body) ? req.body : NO_BYTES,
        auth,
        req,
        res,
      } as RouteContext<B, Q, P, AuthOf<S>>;
      const result = await handler(ctx);
      if (res.headersSent) return;
      if (result === undefined) return void res.status(spec.status ?? 204).end();
      if (spec.location) res.location(this.basePath + spec.location(result, ctx.params));
      sendJson(res, status, result);
    });
  }

  /**
   * The router a route joins: one per first path segment, so a request is matched
   * against its resource's few routes instead of the whole API's in turn (Express tries
   * each route of a router in order, a regular expression each).
   */
  private groupOf(path: string): { router: Router; path: string } {
    const segment = /^\/[^/:]+/.exec(path)?.[0];
    if (!segment) return { router: this.router, path };
    let group = this.groups.get(segment);
    if (!group) {
      group = express.Router();
      group.use(routeBase(this.basePath + segment));
      this.router.use(segment, group);
      this.groups.set(segment, group);
    }
    return { router: group, path: path.slice(segment.length) || "/" };
  }

  private document(spec: Omit<RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>, "location"> & { location?: unknown }) {
    const path = this.basePath + spec.path.replace(/:(\w+)/g, "{$1}");
    const responses: RouteConfig["responses"] = {
      [spec.status ?? (spec.method === "post" ? 201 : 200)]: {
        description: "Success",
        ...(spec.location ? { headers: { Location: { description: "Where the created resource lives", schema: { type: "string" } } } } : {}),
        ...(spec.response
          ? { content: { [spec.responseType ?? "application/json"]: { schema: spec.response }, ...binaryContent(spec.binaryResponseTypes) } }
          : {}),
      },
    };
    const typed = (spec.body && !spec.rawBody) || spec.bodyTypes;
    const errors = { ...(spec.body || spec.query ? { 400: "validation_failed" } : {}), ...(typed ? { 415: "unsupported_media_type" } : {}), ...spec.errors };
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
        ...(spec.headers ? { headers: spec.headers } : {}),
        ...(spec.body
          ? { body: { content: { "application/json": { schema: spec.body }, ...binaryContent(spec.bodyTypes?.filter((t) => !JSON_TYPES.includes(t))) } } }
          : {}),
      },
      responses,
    });
  }
}
