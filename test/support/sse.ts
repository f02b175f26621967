import { baseUrl } from "./server";

/**
 * A server-sent-events client for tests, reading a `text/event-stream` response the
 * way a browser's EventSource does (WHATWG HTML "Parsing an event stream"): lines of
 * `field: value`, comments starting with `:`, an event dispatched at each blank line,
 * `data` lines joined with newlines. POST is allowed, which EventSource lacks.
 */

export interface SseEvent {
  event: string;
  /** `data` parsed as JSON (the server sends JSON). */
  data: any;
  id: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** A problem document when the server answered without a stream. */
  problem?: any;
  /** `retry:` values and the number of comment lines seen so far. */
  retry: number[];
  comments: number;
  /** Events as they arrive; ends when the server ends the response. */
  events: AsyncGenerator<SseEvent>;
  /** Hangs up, as a closed browser tab would. */
  abort: () => void;
}

export async function openSse(path: string, options: { token?: string; body?: unknown; base?: string } = {}): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch((options.base ?? baseUrl()) + path, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    body: JSON.stringify(options.body ?? {}),
    signal: controller.signal,
  });
  const stream: SseStream = {
    status: res.status,
    headers: res.headers,
    retry: [],
    comments: 0,
    events: (async function* () {})(),
    abort: () => controller.abort(),
  };
  if (!res.headers.get("content-type")?.startsWith("text/event-stream")) {
    stream.problem = await res.json();
    return stream;
  }
  stream.events = parse(res.body!, stream);
  return stream;
}

async function* parse(body: ReadableStream<Uint8Array>, stream: SseStream): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id = "";
  try {
    for await (const bytes of body) {
      buffer += decoder.decode(bytes, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length > 0) yield { event: event || "message", data: JSON.parse(data.join("\n")), id };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) {
          stream.comments++;
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "id") id = value;
        else if (field === "retry" && /^\d+$/.test(value)) stream.retry.push(Number(value));
      }
    }
  } catch (err) {
    // Our own abort ends the stream quietly; anything else is the test's business.
    if ((err as Error).name !== "AbortError") throw err;
  }
}

/** Every event until the server ends the stream. */
export async function readAll(stream: SseStream): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const e of stream.events) events.push(e);
  return events;
}

/** POST `path` and read the whole stream. */
export async function generate(body: unknown, token: string, base?: string) {
  const stream = await openSse("/api/v1/stories/generate/stream", { token, body, base });
  return { stream, events: stream.problem ? [] : await readAll(stream) };
}
