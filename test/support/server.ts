import net from "node:net";
import { boot, type ColyseusTestServer } from "@colyseus/testing";
import { Client as SdkClient } from "@colyseus/sdk";
import { createApp } from "../../arena.config";
import { loadConfig } from "../../config";
import { prepareBackend, TEST_ENV, type Backend } from "./backend";
import { faultMounts, faultRoomTypes } from "./faults";

/**
 * One server per mocha process, booted once by the root hooks below (Colyseus's
 * matchmaker is per process). Tests reach it the way clients do: HTTP and the SDK.
 */
interface Booted {
  colyseus: ColyseusTestServer;
  backend: Backend;
  port: number;
  baseUrl: string;
}

let booted: Booted | undefined;

export function server(): Booted {
  if (!booted) throw new Error("the test server is not booted (is test/support/hooks.ts required?)");
  return booted;
}

export const baseUrl = () => server().baseUrl;

/** A fresh SDK client for the booted server, optionally signed in. */
export function sdk(token?: string): SdkClient {
  const client = new SdkClient(`ws://127.0.0.1:${server().port}`);
  if (token) client.auth.token = token;
  return client;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function bootServer(): Promise<void> {
  const backend = await prepareBackend();
  const port = await freePort();
  const config = loadConfig({ ...TEST_ENV, ...backend.env, PORT: String(port) });
  const colyseus = await boot(createApp(config, { mounts: faultMounts, roomTypes: faultRoomTypes }), port);
  booted = { colyseus, backend, port, baseUrl: `http://127.0.0.1:${port}` };
  process.stdout.write(`      backend: ${backend.name}\n`);
}

export async function shutdownServer(): Promise<void> {
  if (!booted) return;
  const { colyseus, backend } = booted;
  booted = undefined;
  await colyseus.shutdown();
  await backend.dispose();
}
