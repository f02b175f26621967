import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@colyseus/sdk";
import { prepareBackend, type Backend } from "../support/backend";
import { startServerProcess, type ServerProcess } from "../support/process";
import { freePort } from "../support/server";

const CONF = path.resolve(__dirname, "../../docs/nginx/tavern.conf");
const hasNginx = spawnSync("nginx", ["-v"]).status === 0;

/** Runs Debian's nginx with docs/nginx/tavern.conf, ports rewritten to this run's. */
async function startNginx(listen: number, ports: [number, number]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tavern-nginx-"));
  const site = fs
    .readFileSync(CONF, "utf8")
    .replaceAll("2567", `@A@`)
    .replaceAll("2568", `@B@`)
    .replaceAll("@A@", String(ports[0]))
    .replaceAll("@B@", String(ports[1]))
    .replace("listen 8080;", `listen 127.0.0.1:${listen};`);
  fs.writeFileSync(path.join(dir, "tavern.conf"), site);
  fs.writeFileSync(
    path.join(dir, "nginx.conf"),
    `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn; worker_processes 1;
     events { worker_connections 1024; }
     http { access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
            fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
            include ${dir}/tavern.conf; }`,
  );
  const child: ChildProcess = spawn("nginx", ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: "ignore" });
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`http://127.0.0.1:${listen}/healthz`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    stop: async () => {
      child.kill("SIGQUIT");
      await new Promise((r) => child.once("exit", r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("two processes behind nginx (docs/nginx/tavern.conf)", function () {
  let backend: Backend;
  let servers: ServerProcess[] = [];
  let nginx: { stop: () => Promise<void> } | undefined;
  let lb: string;

  before(async function () {
    if (!hasNginx) throw new Error("nginx is not installed (.ci/run installs it from Debian's packages)");
    backend = await prepareBackend();
    const [lbPort, a, b] = [await freePort(), await freePort(), await freePort()];
    lb = `127.0.0.1:${lbPort}`;
    servers = await Promise.all(
      [a, b].map((port) =>
        startServerProcess({ ...backend.env, PORT: String(port), PUBLIC_ADDRESS: `${lb}/${port}` }),
      ),
    );
    nginx = await startNginx(lbPort, [a, b]);
  });

  after(async () => {
    await nginx?.stop();
    await Promise.all(servers.map((s) => s.stop("SIGKILL")));
    await backend?.dispose();
  });

  it("serves REST through the load balancer and a live message over a WebSocket routed to the room's process", async () => {
    const post = (p: string, body: unknown, token?: string) =>
      fetch(`http://${lb}/api/v1${p}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const users = [];
    for (const name of ["lb_alice", "lb_bob"]) {
      const password = "correct-horse-1";
      assert.equal((await post("/auth/register", { username: name, email: `${name}@example.test`, password })).status, 201);
      const login = (await (await post("/auth/login", { username: name, password })).json()) as {
        access_token: string;
        user: { id: string };
      };
      users.push({ token: login.access_token, id: login.user.id });
    }
    const [alice, bob] = users;

    const client = new Client(`ws://${lb}`);
    client.auth.token = bob.token;
    const inbox = await client.joinOrCreate("inbox", {});
    try {
      const received = new Promise<{ content: string }>((resolve) => inbox.onMessage("message", resolve));
      const sent = await post("/messages/dm", { recipient_id: bob.id, content: "through nginx" }, alice.token);
      assert.equal(sent.status, 201);
      assert.equal((await received).content, "through nginx");
    } finally {
      await inbox.leave();
    }
  });
});
