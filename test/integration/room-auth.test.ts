import assert from "node:assert/strict";
import { newUser } from "../support/api";
import { sdk } from "../support/server";

describe("room authentication", () => {
  it("gives two connections of one login distinct session ids, and both stay connected", async () => {
    const user = await newUser("twotabs");
    const first = await sdk(user.token).joinOrCreate("inbox", {});
    const second = await sdk(user.token).joinOrCreate("inbox", {});
    try {
      assert.equal(first.roomId, second.roomId, "one inbox per user");
      assert.notEqual(first.sessionId, second.sessionId);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(first.connection.isOpen && second.connection.isOpen);
    } finally {
      await Promise.all([first.leave(), second.leave()]);
    }
  });

  it("rejects a join whose token is not a JWT with 401", async () => {
    await assert.rejects(sdk("not-a-token").joinOrCreate("inbox", {}), (err: { code?: number }) => err.code === 401);
  });
});
