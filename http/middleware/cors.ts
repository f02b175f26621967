import cors from "cors";
import { matchMaker } from "@colyseus/core";

/**
 * One origin policy for both doors into the server: Express routes (the `cors`
 * package) and Colyseus's matchmaking routes, which answer preflights themselves.
 */
export function corsPolicy(origins: "*" | string[]) {
  const allowed = (origin: string | undefined) =>
    origins === "*" || (origin !== undefined && origins.includes(origin));

  matchMaker.controller.getCorsHeaders = (headers: Headers) => {
    const origin = headers.get("origin") ?? undefined;
    if (origins === "*") return { "Access-Control-Allow-Origin": origin ?? "*", Vary: "Origin" };
    // A disallowed origin is answered with an allowed one, which the browser rejects.
    return { "Access-Control-Allow-Origin": allowed(origin) ? origin! : (origins[0] ?? "null"), Vary: "Origin" };
  };

  return cors({
    origin: (origin, callback) => callback(null, origin === undefined || allowed(origin) ? origin ?? true : false),
    credentials: true,
    exposedHeaders: ["Location", "Retry-After", "X-Request-Id", "X-Cache", "RateLimit", "RateLimit-Policy"],
  });
}
