import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small OpenAI-compatible chat-completions server for tests: it speaks the protocol
 * (`POST /v1/chat/completions`, streamed as `data:` chunks ending in `[DONE]`, or one
 * JSON completion), and each test scripts how it answers: slowly, failing mid-stream,
 * with a 429, or holding the answer until the test lets it go. It records every call
 * and whether the caller hung up before the answer ended.
 */

export interface Call {
  body: { model: string; messages: { role: string; content: string }[]; stream?: boolean; [key: string]: unknown };
  /** The last user message. */
  prompt: string;
  /** The first system message. */
  system: string;
  /** Resolves when the connection closes: `aborted` says whether the caller left first. */
  closed: Promise<void>;
  aborted: boolean;
}

export type Behaviour =
  | {
      kind: "stream";
      chunks: string[];
      /** Pause before each chunk. */
      delayMs?: number;
      /** Before chunk `holdAt`, wait until `gate` resolves (or the caller leaves). */
      holdAt?: number;
      gate?: Promise<void>;
      /** After this many chunks, fail: an error event, or a cut connection. */
      failAfter?: number;
      failure?: "error-event" | "disconnect";
      /** Leave out the finishing chunk and `[DONE]`. */
      unfinished?: boolean;
    }
  | { kind: "json"; content: string; delayMs?: number; gate?: Promise<void> }
  | { kind: "status"; status: number; headers?: Record<string, string>; message?: string };

export interface FakeLlm {
  baseURL: string;
  calls: Call[];
  /** Decides how to answer each call; tests replace it. */
  handle: (call: Call) => Behaviour;
  close: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Something a behaviour waits on until the test opens it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export const defaultStory = ["Once ", "upon ", "a ", "time, ", "Mara ", "Vell ", "said ", "hello. ", "Mara ", "smiled."];

/** Well-formed answers for every call the product makes, recognised by their system prompt. */
export function defaultBehaviour(call: Call): Behaviour {
  if (!call.body.stream) {
    if (/design characters/.test(call.system)) {
      return {
        kind: "json",
        content: JSON.stringify({
          description: "A fake character.",
          greeting: "*waves* \"Hello from the fake model.\"",
          start_sets: [{ title: "Start", intro: "A room.", first_line: "\"Hi.\"" }],
          endings: [
            { title: "Good", condition: "kind", content: "Friends." },
            { title: "Bad", condition: "unkind", content: "Strangers." },
          ],
          tags: ["fake"],
        }),
      };
    }
    if (/List the characters/.test(call.system)) {
      return { kind: "json", content: JSON.stringify({ characters: [{ name: "Mara Vell", description: "A lamplighter." }] }) };
    }
    return { kind: "json", content: JSON.stringify({ choices: ["Wave back", "Walk away"] }) };
  }
  return { kind: "stream", chunks: defaultStory };
}

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 0, model: "fake", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const sockets = new Set<import("node:net").Socket>();
  const fake: FakeLlm = { baseURL: "", calls: [], handle: defaultBehaviour, close: async () => undefined };

  const server = http.createServer(async (req, res) => {
    let raw = "";
    for await (const piece of req) raw += piece;
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw) as Call["body"];
    let resolveClosed!: () => void;
    const call: Call = {
      body,
      prompt: [...body.messages].reverse().find((m) => m.role === "user")?.content ?? "",
      system: body.messages.find((m) => m.role === "system")?.content ?? "",
      closed: new Promise((r) => (resolveClosed = r)),
      aborted: false,
    };
    res.once("close", () => {
      call.aborted = !res.writableFinished;
      resolveClosed();
    });
    fake.calls.push(call);
    const left = () => res.destroyed || call.aborted;
    const behaviour = fake.handle(call);

    if (behaviour.kind === "status") {
      res.writeHead(behaviour.status, { "content-type": "application/json", ...behaviour.headers });
      res.end(JSON.stringify({ error: { message: behaviour.message ?? "fake failure", type: "fake_error" } }));
      return;
    }
    if (behaviour.kind === "json") {
      if (behaviour.delayMs) await sleep(behaviour.delayMs);
      if (behaviour.gate) await Promise.race([behaviour.gate, call.closed]);
      if (left()) return;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "chatcmpl-fake",
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: behaviour.content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
      return;
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(chunk({ role: "assistant", content: "" }));
    for (let i = 0; i < behaviour.chunks.length; i++) {
      if (behaviour.failAfter === i) {
        // Cut the connection once what was written has left, as a crashing upstream would.
        if (behaviour.failure === "disconnect") await sleep(50).then(() => res.destroy());
        else res.end(`data: ${JSON.stringify({ error: { message: "fake failure mid-stream", type: "server_error" } })}\n\n`);
        return;
      }
      if (behaviour.holdAt === i && behaviour.gate) await Promise.race([behaviour.gate, call.closed]);
      if (behaviour.delayMs) await sleep(behaviour.delayMs);
      if (left()) return;
      res.write(chunk({ content: behaviour.chunks[i] }));
    }
    if (behaviour.unfinished) {
      res.end();
      return;
    }
    res.write(chunk({}, "stop"));
    res.end("data: [DONE]\n\n");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
