import type { IncomingMessage, ServerResponse } from "node:http";
import { createAuthContext, ErrorCode, matchMaker, ServerError, type AuthContext, type IRoomCache, type Transport } from "@colyseus/core";
import express from "express";
import type { Logger } from "../infra/logger";
import { isRedisOutage } from "../infra/redis";
import { databaseFailure } from "../services/database-failures";
import { DomainError, forbidden, notFound, serviceUnavailable, unauthenticated, validationFailed } from "../services/errors";
import type { TokenService } from "../services/tokens";
import { parseInput } from "../services/validation";
import { z } from "zod";
import { problemBody, problemFromParserError } from "./middleware/problem";
import { requestIdOf } from "./middleware/request-log";

/** Join options are small; frames have the same bound (docs/realtime.md). */
export const MATCHMAKE_BODY_LIMIT = "16kb";

const METHODS = ["joinOrCreate", "create", "join", "joinById", "reconnect"] as const;
type Method = (typeof METHODS)[number];

const reconnectOptions = z.strictObject({ reconnectionToken: z.string().min(1).max(128) });

/** What the edge needs of a room type: the join options a client may send (the rooms' JoinRules fit). */
export interface JoinOptionRules {
  options: z.ZodType;
}

/**
 * The auth context this edge hands to a room's `onAuth`: for `joinById`, the listing of
 * the room aimed at, whose key `onAuth` checks against the caller's (rooms/shared/join.ts).
 */
export interface TargetedAuthContext extends AuthContext {
  target?: IRoomCache;
}

export interface MatchmakeEdgeDeps {
  /** Join rules of every room type, by room name. */
  rooms: Record<string, JoinOptionRules>;
  tokens: TokenService;
  transport: Transport;
  logger: Logger;
}

/**
 * Colyseus answers `POST /matchmake/:method/:room` itself, before Express, with no
 * bound on the body and no validation of join options. This edge answers those
 * requests instead (the front door hands them over) and applies the product's rules
 * before the matchmaker sees anything:
 * - the body is at most 16 KiB (413), decoded like any JSON body (broken gzip is 400),
 *   free of NUL characters and not nested deeper than our validation allows;
 * - join options are validated strictly per room type (400 for unknown keys or types);
 * - `create` joins the key's room, which `joinOrCreate` creates when there is none: one
 *   room per key, whichever SDK call a client uses;
 * - `joinById` carries the target room's listing to `onAuth`, which refuses (403) a room
 *   whose key is not the caller's; `reconnect` is refused (403) unless the caller's
 *   token names the user who held that seat;
 * - every refusal is a problem document, and anything unexpected a bare 500 with the
 *   request id in the log, as on REST.
 */
export function matchmakeEdge(deps: MatchmakeEdgeDeps) {
  const parseJson = express.json({ limit: MATCHMAKE_BODY_LIMIT, type: () => true });
  return (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    parseJson(req as never, res as never, (err?: unknown) => {
      const requestId = requestIdOf(req, res);
      void answer(req, res, deps, requestId, err).catch((failure) => {
        deps.logger.error({ err: failure, request_id: requestId }, "matchmaking edge failed");
        if (!res.headersSent) sendRefusal(res, internalError(), { request_id: requestId });
      });
    });
  };
}

/** Whether Colyseus would take this request for its matchmaking route. */
export const isMatchmaking = (req: IncomingMessage) => req.url?.startsWith(`/${matchMaker.controller.matchmakeRoute}/`) === true;

async function answer(
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  deps: MatchmakeEdgeDeps,
  requestId: string,
  parseError: unknown,
): Promise<void> {
  if (parseError) {
    const problem = problemFromParserError(parseError);
    if (problem) return sendRefusal(res, problem);
    throw parseError;
  }
  try {
    if (req.method !== "POST") throw notFound(`route ${req.method} ${req.url}`);
    if (matchMaker.state === matchMaker.MatchMakerState.SHUTTING_DOWN) {
      throw new DomainError(503, "service_unavailable", "This process is shutting down; join again.", undefined, { "Retry-After": "1" });
    }
    const match = /^\/[^/]+\/([^/?]+)\/([^/?]+)/.exec(req.url ?? "");
    const method = match?.[1] as Method | undefined;
    const target = decode(match?.[2]);
    if (!method || !METHODS.includes(method) || target === undefined) throw notFound("matchmaking route");
    const options = req.body ?? {};
    const context = createAuthContext({ headers: req.headers as Record<string, string>, req }) as TargetedAuthContext;
    const reservation = await dispatch(method, target, options, context, deps);
    const protocol = deps.transport.protocol;
    send(res, 200, protocol !== undefined ? { ...reservation, protocol } : reservation);
  } catch (err) {
    const problem = toProblem(err);
    if (problem) return sendRefusal(res, problem);
    deps.logger.error({ err, request_id: requestId, url: req.url }, "matchmaking failed");
    sendRefusal(res, internalError(), { request_id: requestId });
  }
}

async function dispatch(method: Method, target: string, options: unknown, context: TargetedAuthContext, deps: MatchmakeEdgeDeps) {
  if (method === "reconnect") return reconnect(target, options, context, deps);
  if (method === "joinById") {
    const listing = await matchMaker.getRoomById(target);
    if (!listing || !deps.rooms[listing.name]) throw notFound("room");
    validateOptions(deps.rooms[listing.name]!, options);
    context.target = listing;
    return matchMaker.joinById(target, options, context);
  }
  const rules = deps.rooms[target];
  if (!rules) throw notFound("room type");
  validateOptions(rules, options);
  // One room per key: a `create` for a key that has its room lands in it.
  return method === "join" ? matchMaker.join(target, options, context) : matchMaker.joinOrCreate(target, options, context);
}

/** A reconnection skips onAuth in Colyseus; here it needs a token of the user who held the seat. */
async function reconnect(roomId: string, options: unknown, context: TargetedAuthContext, deps: MatchmakeEdgeDeps) {
  const parsed = parseInput(reconnectOptions, options);
  if (!parsed.ok) throw validationFailed(parsed.errors);
  if (!context.token) throw unauthenticated();
  const claims = await deps.tokens.verifyAccessToken(context.token);
  const listing = await matchMaker.getRoomById(roomId);
  if (!listing) throw notFound("room");
  const holder = (await matchMaker.remoteRoomCall(roomId, "seatHolder" as never, [parsed.data.reconnectionToken])) as string | undefined;
  if (holder === undefined) throw new DomainError(410, "gone", "No seat is held for this reconnection token any more; join again.");
  if (holder !== claims.userId) throw forbidden("This seat is not yours.");
  return matchMaker.reconnect(roomId, parsed.data);
}

function validateOptions(rules: JoinOptionRules, options: unknown) {
  const parsed = parseInput(rules.options, options);
  if (!parsed.ok) throw validationFailed(parsed.errors);
}

/** What a refusal means for the client; undefined for a failure of ours. */
function toProblem(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  // The matchmaker reads and writes its registry in Redis itself.
  if (isRedisOutage(err)) return serviceUnavailable("presence");
  const unavailable = databaseFailure(err);
  if (unavailable) return unavailable;
  // A room created on another process that refused for want of its database: Colyseus's
  // IPC carries only the message, which is the code (rooms/shared/room.ts).
  if (err instanceof Error && !(err instanceof ServerError) && err.message === "service_unavailable") return serviceUnavailable("database");
  if ((err as Error)?.constructor?.name === "SeatReservationError") {
    return new DomainError(503, "service_unavailable", "The room is full or its process is not answering; try again.", undefined, { "Retry-After": "1" });
  }
  if (!(err instanceof ServerError)) return undefined;
  switch (err.code) {
    case ErrorCode.MATCHMAKE_NO_HANDLER:
      return notFound("room type");
    case ErrorCode.MATCHMAKE_INVALID_CRITERIA:
    case ErrorCode.MATCHMAKE_INVALID_ROOM_ID:
      return notFound("room");
    case ErrorCode.MATCHMAKE_EXPIRED:
      return new DomainError(410, "gone", "The seat reservation expired; join again.");
    case ErrorCode.AUTH_FAILED:
      return unauthenticated();
  }
  // Rooms refuse with an HTTP status and a domain code as the message (rooms/shared).
  if (err.code >= 400 && err.code < 500 && /^[a-z_]+$/.test(err.message)) return new DomainError(err.code, err.message, statusDetail(err.code));
  if (err.code === 503) return new DomainError(503, err.message, "The service is busy; try again.", undefined, { "Retry-After": "1" });
  return undefined;
}

const statusDetail = (status: number) =>
  ({ 401: "Authentication is required.", 403: "You are not allowed to join this room.", 404: "Not found.", 410: "It was deleted." })[status] ??
  "The join was refused.";

const internalError = () => new DomainError(500, "internal_error", "Something went wrong on our side.");

function decode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
    "Content-Length": String(Buffer.byteLength(json)),
  });
  res.end(json);
}

/**
 * A refusal as a problem document. `message` repeats `code` for the Colyseus SDK, which
 * reads a failed matchmaking response's `message` into its MatchMakeError: clients
 * switch on `err.code` (the status) and `err.message` (the stable code).
 */
function sendRefusal(res: ServerResponse, err: DomainError, extra: Record<string, unknown> = {}) {
  send(res, err.status, { ...problemBody(err), message: err.code, ...extra }, err.headers);
}
