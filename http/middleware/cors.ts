import cors from "cors";

/**
 * The one origin policy of the server, applied by the front door to every request,
 * REST and matchmaking alike. Clients authenticate with bearer tokens, never cookies,
 * so no credentials are allowed.
 */
export function corsPolicy(origins: "*" | string[]) {
  return cors({
    origin: origins === "*" ? "*" : origins,
    exposedHeaders: ["Location", "Retry-After", "X-Request-Id", "X-Cache", "RateLimit", "RateLimit-Policy", "ETag"],
    maxAge: 600,
  });
}
