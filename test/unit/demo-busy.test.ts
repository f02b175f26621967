import assert from "node:assert/strict";
import { ServerError } from "@colyseus/sdk";
import { joinWhenFree } from "../../web/demo/busy";

/** The /demo page's answer to a join the server refused for a moment (503 with Retry-After). */
describe("/demo joins when the server is busy", () => {
  const busy = (retryAfter?: string) =>
    new ServerError(503, "The service is busy; try again.", { status: 503, headers: new Headers(retryAfter ? { "retry-after": retryAfter } : {}) });
  /** A join that answers each of `answers` in turn, counting the calls and when they came. */
  const joins = (...answers: (Error | string)[]) => {
    const calls: number[] = [];
    const join = async () => {
      calls.push(performance.now());
      const answer = answers[calls.length - 1]!;
      if (answer instanceof Error) throw answer;
      return answer;
    };
    return { join, calls };
  };

  it("a join answered 503 is tried again after the Retry-After it names, and the room then joined is the page's", async () => {
    const { join, calls } = joins(busy("1"), "room");
    assert.equal(await joinWhenFree(join, () => false), "room");
    assert.equal(calls.length, 2);
    assert.ok(calls[1]! - calls[0]! >= 990, `waited ${calls[1]! - calls[0]!} ms`);
  });

  it("a refused join (401, 403, 404) is not tried again", async () => {
    const { join, calls } = joins(new ServerError(401, "token expired", { status: 401 }), "room");
    await assert.rejects(joinWhenFree(join, () => false), (err: ServerError) => err.code === 401);
    assert.equal(calls.length, 1);
  });

  it("a 503 still there after the last try reaches the page as the server sent it", async () => {
    const { join, calls } = joins(busy(), busy());
    await assert.rejects(joinWhenFree(join, () => false, 2), (err: ServerError) => err.code === 503);
    assert.equal(calls.length, 2);
  });

  it("a page that stopped playing while its join was refused does not try again", async () => {
    const { join, calls } = joins(busy("1"), "room");
    await assert.rejects(joinWhenFree(join, () => true), (err: ServerError) => err.code === 503);
    assert.equal(calls.length, 1);
  });
});
