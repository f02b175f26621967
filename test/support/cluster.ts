import { Client, type Room } from "@colyseus/sdk";
import { api } from "./api";
import { prepareBackend, type Backend } from "./backend";
import { startServerProcess, type ServerProcess } from "./process";
import { freePort } from "./server";
export { eventually } from "./eventually";

/**
 * Helpers for tests that run several real server processes on one Postgres and Redis.
 * Clients reach each process directly; a seat on a room living elsewhere carries that
 * process's PUBLIC_ADDRESS, so every process gets its own.
 */

/** Argon2 as cheap as config.ts allows: cluster tests register hundreds of users. */
export const CHEAP_HASHING = { ARGON2_MEMORY_KIB: "1024", ARGON2_ITERATIONS: "1" };

export async function clusterBackend(): Promise<Backend> {
  if (!process.env.TEST_DATABASE_URL || !process.env.TEST_REDIS_URL) {
    throw new Error("cluster tests need TEST_DATABASE_URL and TEST_REDIS_URL");
  }
  return prepareBackend();
}

/** One server process on `backend`, reachable at its own public address. */
export async function startNode(backend: Backend, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess({
    ...CHEAP_HASHING,
    ...backend.env,
    ...env,
    PORT: String(port),
    PUBLIC_ADDRESS: `127.0.0.1:${port}`,
  });
}

export interface Player {
  id: string;
  username: string;
  token: string;
  characterId: string;
}

/** Registers and logs in a fresh user through `base`, with one character. */
export async function newPlayer(base: string, username: string): Promise<Player> {
  const password = "correct-horse-1";
  const reg = await api("POST", "/api/v1/auth/register", { base, body: { username, email: `${username}@example.test`, password } });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await api("POST", "/api/v1/auth/login", { base, body: { username, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.access_token as string;
  const character = await api("POST", "/api/v1/characters", { base, token, body: { name: `Hero ${username}`.slice(0, 60) } });
  if (character.status !== 201) throw new Error(`character failed: ${character.status} ${JSON.stringify(character.body)}`);
  return { id: reg.body.id, username, token, characterId: character.body.id };
}

let counter = 0;
/** A username unique to this run (the database is fresh per file, but processes share it). */
export const clusterName = (prefix: string) =>
  `${prefix}_${Date.now().toString(36).slice(-5)}${(counter++).toString(36)}`.slice(0, 32);

/** `count` players, created through the given processes in turn, `concurrency` at a time. */
export async function newPlayers(bases: string[], count: number, prefix: string, concurrency = 16): Promise<Player[]> {
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    (i) => newPlayer(bases[i % bases.length], clusterName(prefix)),
  );
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A real SDK client of `server`, signed in as `token`. */
export function connect(server: ServerProcess, token: string): Client {
  const client = new Client(`ws://127.0.0.1:${server.port}`);
  client.auth.token = token;
  return client;
}

/** Resolves with the close code the room is left with. */
export const closedWith = (room: Room) => new Promise<number>((resolve) => room.onLeave((code: number) => resolve(code)));


/** A player's position as the given zone room's synchronized state shows it. */
export function positionIn(room: Room<any>, characterId: string): { x: number; y: number } | undefined {
  const player = room.state?.players?.get(characterId);
  return player ? { x: player.x, y: player.y } : undefined;
}

/** The process a room lives on: its seat carried that process's public address. */
export function hostOf<S extends ServerProcess>(room: Room, servers: S[]): S {
  const port = Number(new URL(room.connection.url!).port);
  const host = servers.find((s) => s.port === port);
  if (!host) throw new Error(`room ${room.roomId} lives on no known process (${room.connection.url})`);
  return host;
}
