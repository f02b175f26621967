import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "../../infra/logger";

declare module "http" {
  interface IncomingMessage {
    /** The request's id (X-Request-Id), set by requestLog. */
    id?: string;
  }
}

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The request's id: a well-formed incoming `X-Request-Id`, or a new one; echoed in the response. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers["x-request-id"];
  const id = typeof incoming === "string" && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
  res.setHeader("X-Request-Id", id);
  return id;
}

/**
 * Request ids and access logs. A well-formed `X-Request-Id` from a proxy is kept so one
 * id follows the request through the load balancer; otherwise a new one is made. The id
 * is echoed in the response and in every log line of the request. One line per request
 * when it ends: server errors (5xx) at error level, except 503 (a dependency down or
 * busy, answered as designed, whose outage is logged once where it is seen) at warn;
 * client errors and requests the client abandoned at info, the rest at debug.
 *
 * Written here rather than with pino-http, which builds a child logger with the
 * serialized request for every request whether anything is logged or not: most of its
 * cost, on the hottest path of the server. Here a line is built only when its level is
 * on, and one `close` listener (emitted after `finish` too) sees both endings.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdOf(req, res);
    req.id = id;
    const started = performance.now();
    res.once("close", () => {
      const abandoned = !res.writableFinished;
      const level = res.statusCode === 503 ? "warn" : res.statusCode >= 500 ? "error" : abandoned || res.statusCode >= 400 ? "info" : "debug";
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          req: { id, method: req.method, url: req.originalUrl, remoteAddress: req.socket.remoteAddress },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - started),
        },
        abandoned ? "request abandoned by the client" : "request completed",
      );
    });
    next();
  };
}
