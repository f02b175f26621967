import net from "node:net";

/**
 * A TCP proxy the test controls: put it between the server and Postgres (or Redis),
 * then `cut()` it to make that backend unreachable without touching the real one; or
 * between a browser and the server, then `hold()` and `release()` it for a network
 * outage that heals; or `cutAfter()` a given message, to lose the answer to a statement
 * the target did receive (a COMMIT whose outcome the client cannot know).
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  const waiting: net.Socket[] = [];
  let open = true;
  let holding = false;
  let trap: { bytes: Buffer; sprung: () => void } | undefined;
  const forward = (client: net.Socket) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let trapped = false;
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      if (!trap || !chunk.includes(trap.bytes)) return;
      const { sprung } = trap;
      trap = undefined;
      trapped = true;
      // The target reads the message and acts on it; its answer never reaches the client.
      upstream.end();
      client.destroy();
      sprung();
    });
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      if (!trapped) upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  };
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    if (holding) {
      // Unread, its bytes wait in the socket until release() forwards them.
      client.on("error", () => client.destroy());
      waiting.push(client);
      return;
    }
    forward(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Drops every connection and refuses new ones. */
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    /** Drops every connection; new ones are accepted but go unanswered until `release()`. */
    hold() {
      holding = true;
      for (const s of sockets) s.destroy();
    },
    /**
     * The next time a client sends `bytes`, they reach the target and then that client's
     * connection is dropped before any answer. Resolves once it happened.
     */
    cutAfter(bytes: Buffer): Promise<void> {
      return new Promise((sprung) => {
        trap = { bytes, sprung };
      });
    },
    /** Ends a hold: the connections that waited reach the target, and new ones go straight through. */
    release() {
      holding = false;
      for (const client of waiting.splice(0)) if (!client.destroyed) forward(client);
    },
    close: () => {
      open = false;
      for (const s of [...sockets, ...waiting]) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
