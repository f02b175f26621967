import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { api } from "../support/api";
import type { Backend } from "../support/backend";
import { clusterBackend, clusterName, closedWith, connect, hostOf, newPlayer, startNode } from "../support/cluster";
import type { ServerProcess } from "../support/process";

const CLOSE_REVOKED = 4401;

/** Rejects if `promise` has not settled within `ms`: the revocation deadline of the spec. */
const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms))]);

describe("sessions across processes", function () {
  let backend: Backend;
  let a: ServerProcess;
  let b: ServerProcess;

  before(async function () {
    backend = await clusterBackend();
    [a, b] = await Promise.all([startNode(backend), startNode(backend)]);
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop("SIGKILL")));
    await backend?.dispose();
  });

  it("a logout on one process closes the user's connections living on the other with 4401 within 2 s", async () => {
    const player = await newPlayer(a.url, clusterName("rev"));
    const inbox = await connect(b, player.token).joinOrCreate("inbox", {});
    const zone = await connect(b, player.token).joinOrCreate("world_zone", { character_id: player.characterId });
    const rooms: Room[] = [inbox, zone];
    rooms.forEach((r) => r.onMessage("*", () => {}));
    const closes = rooms.map(closedWith);
    const logoutOn = hostOf(inbox, [a, b]) === a ? b : a;

    assert.equal((await api("POST", "/api/v1/auth/logout", { base: logoutOn.url, token: player.token })).status, 204);
    assert.deepEqual(await within(Promise.all(closes), 2000, "both closes"), [CLOSE_REVOKED, CLOSE_REVOKED]);

    const again = await api("GET", "/api/v1/users/me", { base: logoutOn === a ? b.url : a.url, token: player.token });
    assert.equal(again.status, 401, "the other process refuses the token too");
  });
});
