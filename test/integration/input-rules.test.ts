import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { api, newUser, userWithRoles, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { baseUrl, sdk } from "../support/server";

/** Bad input is the client's error: a 4xx problem document naming what is wrong, never a 5xx. */

const NUL = "a\u0000b";

function assertNamesField(res: { status: number; body: any }, field: string) {
  assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.code, "validation_failed");
  assert.ok(
    res.body.errors.some((e: { field: string; message: string }) => e.field === field && /NUL/.test(e.message)),
    `${JSON.stringify(res.body.errors)} names ${field}`,
  );
}

const raw = (path: string, init: RequestInit) => fetch(baseUrl() + path, init);

describe("input rules", () => {
  let user: TestUser;
  before(async () => {
    user = await newUser("inr");
  });

  describe("a NUL character anywhere is 400 validation_failed naming the field", () => {
    it("in a login name, a registration and a password", async () => {
      assertNamesField(await api("POST", "/api/v1/auth/login", { body: { username: NUL, password: "x" } }), "username");
      assertNamesField(await api("POST", "/api/v1/auth/register", { body: { username: "nul_user", email: "n@example.test", password: `correct-${NUL}-1` } }), "password");
    });

    it("in character fields, and in query parameters q= and tag=", async () => {
      assertNamesField(await api("POST", "/api/v1/characters", { token: user.token, body: { name: NUL } }), "name");
      assertNamesField(await api("POST", "/api/v1/characters", { token: user.token, body: { name: "ok", tags: ["fine", NUL] } }), "tags.1");
      assertNamesField(await api("GET", "/api/v1/characters/public?q=a%00b", { token: user.token }), "q");
      assertNamesField(await api("GET", "/api/v1/characters/public?tag=a%00b", { token: user.token }), "tag");
    });

    it("in background fields and in the keys of bonuses", async () => {
      const maintainer = await userWithRoles("inrm", ["maintainer"]);
      assertNamesField(await api("POST", "/api/v1/backgrounds", { token: maintainer.token, body: { name: "Sailor", description: NUL } }), "description");
      const res = await api("POST", "/api/v1/backgrounds", { token: maintainer.token, body: { name: "Sailor", description: "", bonuses: { [NUL]: 1 } } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "validation_failed");
      assert.ok(res.body.errors.some((e: { field: string }) => e.field.startsWith("bonuses.")));
    });

    it("in DM content and client_msg_id, over REST and in the inbox room (whose connection stays open)", async () => {
      const peer = await newUser("inrp");
      assertNamesField(await api("POST", "/api/v1/messages/dm", { token: user.token, body: { recipient_id: peer.id, content: NUL } }), "content");
      assertNamesField(await api("POST", "/api/v1/messages/dm", { token: user.token, body: { recipient_id: peer.id, content: "hi", client_msg_id: NUL } }), "client_msg_id");
      const inbox: Room = await sdk(user.token).joinOrCreate("inbox", {});
      const errors: any[] = [];
      inbox.onMessage("error", (e) => errors.push(e));
      inbox.onMessage("*", () => undefined);
      try {
        inbox.send("dm", { recipient_id: peer.id, content: NUL });
        await eventually(() => errors.length === 1, "an error message");
        assert.equal(errors[0].code, "validation_failed");
        assert.deepEqual(errors[0].errors.map((e: { field: string }) => e.field), ["content"]);
        assert.ok(inbox.connection.isOpen);
        const history = await api("GET", `/api/v1/messages/dm/${peer.id}`, { token: user.token });
        assert.equal(history.body.total, 0, "nothing stored");
      } finally {
        await inbox.leave();
      }
    });
  });

  describe("bodies that do not decode", () => {
    for (const encoding of ["gzip", "br", "deflate"]) {
      it(`a body that is not valid ${encoding} is 400, not 500`, async () => {
        const res = await raw("/api/v1/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": encoding },
          body: "definitely not compressed",
        });
        assert.equal(res.status, 400);
        const body = await res.json();
        assert.equal(body.code, "validation_failed");
        assert.deepEqual(body.errors, [{ field: "body", message: "is not validly compressed for its Content-Encoding" }]);
      });
    }

    it("an unknown Content-Encoding is 415", async () => {
      const res = await raw("/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "zstd-ish" }, body: "{}" });
      assert.equal(res.status, 415);
    });

    it("a JSON body sent without Content-Type: application/json is 415 naming the expected type", async () => {
      for (const headers of [{ "content-type": "text/plain" }, {}] as Record<string, string>[]) {
        const res = await raw("/api/v1/auth/login", { method: "POST", headers, body: JSON.stringify({ username: "a", password: "b" }) });
        assert.equal(res.status, 415, JSON.stringify(headers));
        const body = await res.json();
        assert.equal(body.code, "unsupported_media_type");
        assert.match(body.detail, /application\/json/);
      }
    });
  });

  describe("paths that do not decode", () => {
    it("bad percent-encoding in an :id route is 404, not 500", async () => {
      for (const path of ["/api/v1/users/%ff", "/api/v1/characters/%E0%A4%A", "/api/v1/backgrounds/%zz"]) {
        const res = await api(path.includes("backgrounds") ? "PATCH" : "GET", path, { token: user.token, ...(path.includes("backgrounds") ? { body: {} } : {}) });
        assert.ok(res.status === 404 || res.status === 400 || res.status === 403, `${path}: ${res.status}`);
        assert.notEqual(res.status, 500);
        assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
      }
    });
  });
});
