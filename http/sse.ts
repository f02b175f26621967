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
    // The client may have left while the job was being recorded: then it is gone already.
    if (res.destroyed || !res.socket || res.socket.destroyed) this.controller.abort();
  }

  private readonly onClose = () => this.controller.abort();

  sendHead = () => {
    this.res.writeHead(this.response.status, Object.fromEntries(this.response.headers));
  };

  /**
   * Events written in one tick leave together at its end (one packet instead of one per
   * event when a generator outpaces the network), and never later: through compression
   * middleware the buffer is flushed too.
   */
  sendChunk = (chunk: string) => {
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(this.flushNow);
    }
    this.res.write(chunk);
  };

  private corked = false;

  /** Sends what this tick wrote. Must run before `res.end()`: Node 22 drops corked writes that end() finds. */
  readonly flushNow = () => {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
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
      connection.flushNow();
      if (!res.writableEnded) res.end();
    },
  };
}
