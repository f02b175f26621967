import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { RequestHandler } from "express";
import { DomainError } from "../services/errors";
import { problemBody } from "./middleware/problem";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Every HTTP request of the server passes here first, before Colyseus's own listener
 * (which answers matchmaking and preflights itself and hands the rest to Express):
 * one CORS policy answers for REST and matchmaking alike, preflights included, and
 * matchmaking requests go to our edge instead of Colyseus's unbounded handler.
 * Intercepted at `emit`, so the order in which Colyseus registers its listener at
 * listen time does not matter.
 */
export function installFrontDoor(
  server: Server,
  doors: {
    cors: RequestHandler;
    isMatchmaking: (req: IncomingMessage) => boolean;
    matchmake: Handler;
    inFlight: InFlight;
    /** Requests under this path go straight to `api` (the Express app), past Colyseus's listener. */
    apiPrefix: string;
    api: () => Handler;
  },
): void {
  const emit = server.emit;
  // Resolved at the first API request: the app exists only once Colyseus has booted Express.
  let api: Handler | undefined;
  server.emit = function (this: Server, event: string, ...args: unknown[]) {
    if (event !== "request") return emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>);
    const [req, res] = args as [IncomingMessage, ServerResponse];
    doors.inFlight.track(res);
    // cors ends preflights itself (204) and calls on for everything else.
    doors.cors(req as never, res as never, () => {
      if (doors.isMatchmaking(req)) doors.matchmake(req, res);
      // Colyseus's listener serves nothing under the API, yet builds a WHATWG Headers and
      // looks the path up in its own router for every request before handing it on.
      else if (req.url?.startsWith(doors.apiPrefix)) (api ??= doors.api())(req, res);
      else emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>);
    });
    return true;
  } as typeof server.emit;
  // Requests Node's parser refuses (headers too large, malformed) get a problem document too.
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => answerUnparsable(err, socket));
}

function answerUnparsable(err: NodeJS.ErrnoException, socket: Duplex) {
  if (!socket.writable) return socket.destroy();
  const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
  const problem = tooLarge
    ? new DomainError(431, "headers_too_large", "The request line or headers are too large.")
    : new DomainError(400, "bad_request", "The request is not valid HTTP.");
  const body = JSON.stringify(problemBody(problem));
  const reason = tooLarge ? "Request Header Fields Too Large" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${problem.status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The requests being answered, so that a graceful shutdown can stop accepting and let
 * them finish (within a bound) before rooms close and the database goes. Once closing,
 * every answer says `Connection: close`, so a kept-alive connection carries no request
 * after the one it is answering.
 */
export class InFlight {
  private readonly open = new Set<ServerResponse>();
  private readonly waiters = new Set<() => void>();
  private closing = false;

  track(res: ServerResponse): void {
    this.open.add(res);
    if (this.closing) res.setHeader("Connection", "close");
    res.once("close", () => {
      this.open.delete(res);
      if (this.open.size === 0) for (const wake of this.waiters) wake();
    });
  }

  /** From now on no answer keeps its connection open; answers already under way are marked too. */
  close(): void {
    this.closing = true;
    for (const res of this.open) if (!res.headersSent) res.setHeader("Connection", "close");
  }

  /** Resolves when no request is in flight, or after `timeoutMs`; to true when none was left. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (drained: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(drained);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }

  get size(): number {
    return this.open.size;
  }
}
