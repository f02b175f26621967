import type { IncomingMessage, ServerResponse } from "node:http";
import { Connection, createSession, type Session } from "better-sse";

/**
 * Server-sent events through better-sse (framing, `retry`, keep-alive comments, the
 * no-buffering headers for proxies). Its Node adapter also treats the request's
 * `close` as a disconnect, and Node emits that as soon as a POST body has been read
 * (better-sse issue #116), so this adapter watches only the response: its `close`
 * before we end it is the client leaving.
 */
class ResponseConnection extends Connection {
  url: URL;
  request: Request;
  response: Response;
  private readonly controller = new AbortController();
  /** Aborts when the response closes. */
  readonly closed = this.controller.signal;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    super();
    res.socket?.setNoDelay(true);
    this.url = new URL(req.url ?? "/", `http://${req.headers.host ?? Connection.constants.REQUEST_HOST}`);
    this.request = new Request(this.url, { method: req.method, signal: this.controller.signal });
    this.response = new Response(null, { status: 200, headers: Connection.constants.RESPONSE_HEADERS });
    // Headers set by the middleware (security headers, CORS, the request id) stay.
    Connection.applyHeaders(res.getHeaders() as Record<string, string | string[] | undefined>, this.response.headers);
    res.once("close", this.onClose);
  }

  private readonly onClose = () => this.controller.abort();

  sendHead = () => {
    this.res.writeHead(this.response.status, Object.fromEntries(this.response.headers));
  };

  sendChunk = (chunk: string) => {
    this.res.write(chunk);
    // Through compression middleware, each event must leave now, not when a buffer fills.
    (this.res as ServerResponse & { flush?: () => void }).flush?.();
  };

  cleanup = () => {
    this.res.removeListener("close", this.onClose);
  };
}

export interface EventStream {
  /** Sends one event; a no-op once the client has left. */
  send: (event: string, data: unknown) => void;
  /** Aborts when the client leaves. */
  signal: AbortSignal;
  end: () => void;
}

const KEEP_ALIVE_MS = 15_000;
const RETRY_MS = 3_000;

/** Opens a `text/event-stream` response (status 200) on `res`. */
export async function openEventStream(req: IncomingMessage, res: ServerResponse): Promise<EventStream> {
  const connection = new ResponseConnection(req, res);
  const session: Session = await createSession(connection, { keepAlive: KEEP_ALIVE_MS, retry: RETRY_MS });
  let seq = 0;
  return {
    send: (event, data) => {
      if (session.isConnected) session.push(data, event, String(++seq));
    },
    signal: connection.closed,
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}
