import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import fc from "fast-check";
import { api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { fuzzRuns, fuzzSeed, INTERNALS, nastyString } from "../support/fuzz";
import { baseUrl, sdk } from "../support/server";

/**
 * Every room type of the server, sent malformed join options and malformed messages of
 * every type it handles (read from its live MessageRouter) and of types it does not.
 * Join refusals must be 4xx problem documents; a bad message must be answered with
 * `error` and leave the connection open. A room type joins this suite by being
 * registered; one this file cannot join fails the suite until it gets a recipe below.
 * Replay a failure: FUZZ_SEED=<seed> npx mocha test/integration/fuzz-rooms.test.ts
 */

const seed = fuzzSeed();

/** Valid join options per room type: the suite needs to get in to send messages. */
const JOIN_RECIPES: Record<string, (user: TestUser, peer: TestUser) => Promise<Record<string, unknown>>> = {
  inbox: async () => ({}),
  dm_channel: async (_user, peer) => ({ peer_id: peer.id }),
  world_zone: async (user) => ({ character_id: (await api("POST", "/api/v1/characters", { token: user.token, body: { name: "Fuzzer" } })).body.id }),
  __test_faulty: async () => ({ fail_in: "none" }),
};

/** Payloads no message schema of ours accepts, and others that most will refuse. */
const payload = fc.oneof(
  fc.constant(42),
  fc.constant("just a string"),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(nastyString.filter((s) => s.length < 4000), fc.integer(), fc.double())),
  fc.constant(JSON.parse(`{"a":${"[".repeat(60)}${"]".repeat(60)}}`)),
);

/** Paced under the rooms' message budget (WS_MAX_MESSAGES_PER_SECOND, 30 by default). */
const PACE_MS = 60;

describe(`room fuzz over every registered room type (FUZZ_SEED=${seed})`, function () {
  this.timeout(300_000);
  let user: TestUser;
  let peer: TestUser;
  const roomNames = () => Object.keys(matchMaker.getAllHandlers());

  before(async () => {
    [user, peer] = await Promise.all([newUser("fuzzroom"), newUser("fuzzpeer")]);
  });

  it("knows how to join every registered room type", () => {
    assert.deepEqual(roomNames().filter((name) => !JOIN_RECIPES[name]), [], "room types without a join recipe in this file");
  });

  it("refuses malformed join options with a 4xx problem document, never a 5xx or internals", async () => {
    for (const name of roomNames()) {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(nastyString, fc.jsonValue()))), async (options) => {
          const res = await fetch(`${baseUrl()}/matchmake/joinOrCreate/${name}`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
            body: JSON.stringify(options),
          });
          const text = await res.text();
          const where = `${name} ${JSON.stringify(options).slice(0, 200)} → ${res.status} ${text.slice(0, 200)}`;
          assert.ok(res.status < 500, where);
          assert.doesNotMatch(text, INTERNALS, where);
          if (res.status >= 400) assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/, where);
        }),
        { seed, numRuns: fuzzRuns() * 2, endOnFailure: true },
      );
    }
  });

  it("answers every malformed message with error and keeps the connection open", async () => {
    for (const name of roomNames()) {
      const room: Room = await sdk(user.token).joinOrCreate(name, await JOIN_RECIPES[name]!(user, peer));
      const errors: { code: string; message: string }[] = [];
      let closed: number | undefined;
      room.onMessage("error", (e) => errors.push(e));
      room.onMessage("*", () => undefined);
      room.onLeave((code: number) => (closed = code));
      try {
        const live = matchMaker.getLocalRoomById(room.roomId) as unknown as { router?: { types: string[] } };
        const types = [...(live?.router?.types ?? []), "no_such_type", ""];
        const samples = fc.sample(payload, { seed, numRuns: fuzzRuns() });
        for (const type of types) {
          const before = errors.length;
          for (const data of samples) {
            room.send(type, data);
            await new Promise((r) => setTimeout(r, PACE_MS));
          }
          await eventually(() => errors.length > before, `an error for a malformed "${type}" in ${name}`);
        }
        room.send("no_such_type", {});
        await eventually(() => errors.some((e) => e.code === "unknown_message"), `${name} still answers`);
        assert.equal(closed, undefined, `${name} closed the connection with ${closed}`);
        assert.ok(room.connection.isOpen, `${name} connection open`);
        for (const e of errors) {
          assert.ok(typeof e.code === "string" && typeof e.message === "string", JSON.stringify(e));
          assert.doesNotMatch(JSON.stringify(e), INTERNALS);
          assert.notEqual(e.code, "internal_error", `${name}: ${JSON.stringify(e)}`);
        }
      } finally {
        if (room.connection.isOpen) await room.leave();
      }
    }
  });
});
