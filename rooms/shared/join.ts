import crypto from "node:crypto";
import type { AuthContext, IRoomCache } from "@colyseus/core";
import type { z } from "zod";
import { forbidden, unauthenticated, validationFailed } from "../../services/errors";
import type { AuthClaims, TokenService } from "../../services/tokens";
import { parseInput } from "../../services/validation";

/**
 * How a room type is joined: what a client may send, and which option fields make up
 * the routing key that the server resolves from the caller's claims (filterBy reads
 * them). The matchmaking edge validates join options with the same rules before any
 * room is looked up; `onAuth` resolves the key through `authorizeJoin`.
 */
export interface JoinRules<S extends z.ZodType = z.ZodType> {
  /** The options a client may send, strictly: server-owned fields are never among them. */
  options: S;
  /** Option fields of the routing key, written by the server. */
  keys: readonly string[];
  /** Further option fields only the server writes (values `onAuth` hands to `onCreate`/`onJoin`). */
  owned?: readonly string[];
}

/** The auth context of a join aimed at one room (`joinById`): the matchmaking edge (http/matchmake.ts) attaches that room's listing. */
export interface TargetedAuthContext extends AuthContext {
  target?: IRoomCache;
}

/** What a room type resolves for a verified caller: its routing key, and what its `onJoin` needs. */
export interface Resolved<A> {
  key: Record<string, string>;
  /** Server-owned option values besides the key (see `JoinRules.owned`). */
  extra?: Record<string, unknown>;
  auth: A;
}

/**
 * The body of every room's static `onAuth`: verify the token (401), parse the options
 * (400), resolve the routing key from the claims (the room's own rules: 403, 404, 410),
 * write it into the options, and refuse (403) a join aimed at a room whose key is not
 * the one just resolved. Domain errors reach the client through the matchmaking edge.
 */
export async function authorizeJoin<S extends z.ZodType, A>(
  tokens: TokenService,
  rules: JoinRules<S>,
  token: string | undefined,
  options: Record<string, unknown>,
  context: TargetedAuthContext | undefined,
  resolve: (claims: AuthClaims, options: z.output<S>) => Promise<Resolved<A>>,
): Promise<A> {
  if (!token) throw unauthenticated();
  const claims = await tokens.verifyAccessToken(token);
  // The matchmaker retries a join with the same options object: drop what an earlier attempt wrote.
  for (const field of [...rules.keys, ...(rules.owned ?? [])]) delete options[field];
  const parsed = parseInput(rules.options, options);
  if (!parsed.ok) throw validationFailed(parsed.errors);
  const resolved = await resolve(claims, parsed.data);
  Object.assign(options, resolved.extra, resolved.key);
  const target = context?.target;
  if (target && rules.keys.some((field) => keyOf(target, field) !== resolved.key[field])) {
    throw forbidden("This room is not yours to join.");
  }
  return resolved.auth;
}

/** A filterBy field of a listing: Colyseus keeps them under `metadata`. */
function keyOf(listing: IRoomCache, field: string): unknown {
  return (listing as { metadata?: Record<string, unknown> }).metadata?.[field];
}

/**
 * The room id of a routing key. One key always names one room id, so a second room for
 * a key loses the registry's insert (the matchmaker then seats its client in the first
 * one), whichever process creates it: one live room per key, across processes.
 */
export function keyedRoomId(roomName: string, options: object, keys: readonly string[]): string {
  const key = keys.map((field) => String((options as Record<string, unknown>)[field])).join("\u0000");
  return crypto.createHash("sha256").update(`${roomName}\u0000${key}`).digest("base64url").slice(0, 20);
}
