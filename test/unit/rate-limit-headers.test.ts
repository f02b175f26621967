import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import { RateLimiter } from "../../http/middleware/rate-limit";
import { DomainError } from "../../services/errors";
import { headerValues, requestRaw } from "../support/raw-headers";

/** A route behind two chained rules, as login is: a wide one per address and a narrow one per account. */
async function serve(rules: { wide: number; narrow: number; narrowApplies?: (req: Request) => boolean }) {
  const limiter = new RateLimiter(undefined);
  const app = express();
  app.post(
    "/login",
    limiter.rule({ name: "wide", windowSeconds: 60, limit: rules.wide }),
    limiter.rule({ name: "narrow", windowSeconds: 30, limit: rules.narrow, applies: rules.narrowApplies }),
    (_req, res) => void res.json({ ok: true }),
  );
  app.use((err: DomainError, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status).set(err.headers ?? {}).json({ code: err.code });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/login`;
  return { post: () => requestRaw(url, { method: "POST" }), close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("rate limit headers of chained rules", () => {
  it("one RateLimit and one RateLimit-Policy header, for the rule with the fewest requests left", async () => {
    const app = await serve({ wide: 10, narrow: 3 });
    try {
      const first = await app.post();
      assert.equal(first.status, 200);
      assert.deepEqual(headerValues(first.headers, "RateLimit-Policy"), ['"narrow";q=3;w=30']);
      assert.equal(headerValues(first.headers, "RateLimit").length, 1);
      assert.match(headerValues(first.headers, "RateLimit")[0]!, /^"narrow";r=2;t=(30|29)$/);
    } finally {
      await app.close();
    }
  });

  it("names the other rule once it is the nearer one", async () => {
    const app = await serve({ wide: 2, narrow: 5 });
    try {
      const first = await app.post();
      assert.deepEqual(headerValues(first.headers, "RateLimit-Policy"), ['"wide";q=2;w=60']);
      assert.match(headerValues(first.headers, "RateLimit")[0]!, /^"wide";r=1;t=\d+$/);
    } finally {
      await app.close();
    }
  });

  it("a rule that does not apply to the request is not reported", async () => {
    const app = await serve({ wide: 10, narrow: 1, narrowApplies: () => false });
    try {
      const res = await app.post();
      assert.deepEqual(headerValues(res.headers, "RateLimit-Policy"), ['"wide";q=10;w=60']);
      assert.match(headerValues(res.headers, "RateLimit")[0]!, /^"wide";r=9;t=\d+$/);
    } finally {
      await app.close();
    }
  });

  it("the 429 of an exhausted rule names that rule with nothing left, beside Retry-After", async () => {
    const app = await serve({ wide: 10, narrow: 1 });
    try {
      assert.equal((await app.post()).status, 200);
      const refused = await app.post();
      assert.equal(refused.status, 429);
      assert.deepEqual(headerValues(refused.headers, "RateLimit-Policy"), ['"narrow";q=1;w=30']);
      assert.equal(headerValues(refused.headers, "RateLimit").length, 1);
      assert.match(headerValues(refused.headers, "RateLimit")[0]!, /^"narrow";r=0;t=\d+$/);
      assert.equal(headerValues(refused.headers, "Retry-After").length, 1);
    } finally {
      await app.close();
    }
  });
});
