import assert from "node:assert/strict";
import { PlayerModel, Prediction } from "../../web/demo/world-model";

/** The /demo client's prediction and interpolation, which the browser test can only see as smooth or not. */
describe("/demo world model", () => {
  const bounds = { width: 100, height: 100 };

  describe("prediction", () => {
    it("moves at once and numbers each input after the server's last seq", () => {
      const p = new Prediction(bounds, 10, 10, 41);
      assert.equal(p.input(2.5, 0, 0), 42);
      assert.equal(p.input(2.5, 0, 0), 43);
      assert.deepEqual([p.x, p.y], [15, 10]);
    });

    it("replays the inputs the server has not applied on top of its position", () => {
      const p = new Prediction(bounds, 0, 0, 0);
      for (let i = 0; i < 4; i++) p.input(2.5, 0, 0);
      // The server applied inputs 1 and 2 and was nudged elsewhere (y) meanwhile.
      p.reconcile(5, 1, 2, 10);
      assert.deepEqual([p.x, p.y], [10, 1]);
      p.reconcile(10, 1, 4, 20);
      assert.deepEqual([p.x, p.y], [10, 1], "nothing left to replay");
    });

    it("clamps each replayed step to the zone, as the server does per tick", () => {
      const p = new Prediction(bounds, 98, 50, 0);
      p.input(2.5, 0, 0);
      p.input(2.5, 0, 0);
      p.input(-2.5, 0, 0);
      assert.equal(p.x, 97.5, "right into the wall, then back");
      p.reconcile(98, 50, 0, 1);
      assert.equal(p.x, 97.5);
    });

    it("stops replaying an input the server never echoes, so a lost one does not offset the player for good", () => {
      const p = new Prediction(bounds, 0, 0, 0);
      p.input(2.5, 0, 0);
      p.reconcile(0, 0, 0, 500);
      assert.equal(p.x, 2.5, "still in flight");
      p.reconcile(0, 0, 0, 1_500);
      assert.equal(p.x, 0, "given up");
    });
  });

  describe("interpolation", () => {
    it("draws a player between the two patches around the render time, never past the newest", () => {
      const player = new PlayerModel("a", "Aria", 0, 0, 0);
      player.moved(10, 0, 50, 50);
      player.moved(20, 10, 100, 50);
      assert.deepEqual(player.positionAt(-10), { x: 0, y: 0 });
      assert.deepEqual(player.positionAt(25), { x: 5, y: 0 });
      assert.deepEqual(player.positionAt(75), { x: 15, y: 5 });
      assert.deepEqual(player.positionAt(500), { x: 20, y: 10 });
    });

    it("after a pause, moves over one patch interval instead of sliding over the whole pause", () => {
      const player = new PlayerModel("a", "Aria", 0, 0, 0);
      player.moved(10, 0, 1_000, 50);
      assert.deepEqual(player.positionAt(940), { x: 0, y: 0 }, "still where it stood");
      assert.deepEqual(player.positionAt(975), { x: 5, y: 0 });
    });
  });
});
