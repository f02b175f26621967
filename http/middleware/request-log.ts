import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pinoHttp } from "pino-http";
import type { Logger } from "../../infra/logger";

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
 * id follows the request through the load balancer; otherwise a new one is made. The
 * id is echoed in the response and in every log line of the request.
 */
export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestIdOf,
    customLogLevel(_req, res, err) {
      if (err || res.statusCode >= 500) return "error";
      if (res.statusCode >= 400) return "info";
      return "debug";
    },
    serializers: {
      req: (req) => ({ id: req.id, method: req.method, url: req.url, remoteAddress: req.remoteAddress }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  });
}
