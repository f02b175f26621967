import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { api, newUser, type TestUser } from "../support/api";

const send = (from: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/messages/dm", { token: from.token, body });

describe("direct messages over REST", () => {
  it("a send answers 201 with the message shape, and both sides see it in their history, newest first", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const first = await send(alice, { recipient_id: bob.id, content: "  Hey Bob!  " });
    assert.equal(first.status, 201);
    assert.deepEqual(Object.keys(first.body).sort(), ["client_msg_id", "content", "created_at", "id", "recipient_id", "sender_id", "sender_username"]);
    assert.equal(first.body.content, "Hey Bob!");
    assert.equal(first.body.sender_id, alice.id);
    assert.equal(first.body.sender_username, alice.username);
    assert.equal(first.body.recipient_id, bob.id);
    assert.equal(first.body.client_msg_id, null);
    const reply = await send(bob, { recipient_id: alice.id, content: "Hey Alice!" });
    assert.equal(reply.status, 201);

    for (const [me, peer] of [[alice, bob], [bob, alice]] as const) {
      const history = await api("GET", `/api/v1/messages/dm/${peer.id}`, { token: me.token });
      assert.equal(history.status, 200);
      assert.equal(history.body.total, 2);
      assert.equal(history.body.limit, 50);
      assert.equal(history.body.offset, 0);
      assert.deepEqual(history.body.items.map((m: any) => m.content), ["Hey Alice!", "Hey Bob!"]);
    }
  });

  it("history pages with limit and offset", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    for (const n of [1, 2, 3]) assert.equal((await send(alice, { recipient_id: bob.id, content: `m${n}` })).status, 201);
    const res = await api("GET", `/api/v1/messages/dm/${bob.id}?limit=2&offset=1`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.items.map((m: any) => m.content), ["m2", "m1"]);
    assert.equal(res.body.total, 3);
  });

  it("content that is blank after trimming or longer than 2000 characters is 400 validation_failed", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    for (const content of ["   ", "", "x".repeat(2001)]) {
      const res = await send(alice, { recipient_id: bob.id, content });
      assert.equal(res.status, 400, content.slice(0, 10));
      assert.equal(res.body.code, "validation_failed");
      assert.equal(res.body.errors[0].field, "content");
    }
    assert.equal((await send(alice, { recipient_id: bob.id, content: "x".repeat(2000) })).status, 201);
  });

  it("missing fields, unknown fields and a non-uuid recipient are 400 validation_failed naming each field", async () => {
    const alice = await newUser("alice");
    const missing = await send(alice, {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors.map((e: any) => e.field).sort(), ["content", "recipient_id"]);
    const unknown = await send(alice, { recipient_id: randomUUID(), content: "hi", sender_id: alice.id });
    assert.equal(unknown.status, 400);
    assert.ok(unknown.body.errors.some((e: any) => /unknown|unrecognized/i.test(e.message)));
    const bad = await send(alice, { recipient_id: "bob", content: "hi" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, "recipient_id");
  });

  it("messaging yourself is 400 validation_failed on recipient_id", async () => {
    const alice = await newUser("alice");
    const res = await send(alice, { recipient_id: alice.id, content: "talking to myself" });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    assert.equal(res.body.errors[0].field, "recipient_id");
  });

  it("an unknown recipient is 404 not_found naming the user", async () => {
    const alice = await newUser("alice");
    const res = await send(alice, { recipient_id: randomUUID(), content: "anyone there?" });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, "not_found");
    assert.equal(res.body.detail, "user not found");
  });

  it("every route answers 401 without a token", async () => {
    const id = randomUUID();
    for (const [method, path] of [["POST", "/messages/dm"], ["GET", `/messages/dm/${id}`], ["GET", "/messages/conversations"], ["POST", `/messages/dm/${id}/read`]]) {
      const res = await api(method!, `/api/v1${path}`, method === "POST" ? { body: {} } : {});
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.body.code, "unauthenticated");
    }
  });

  it("a repeated client_msg_id answers 200 with the message stored the first time", async () => {
    const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
    const first = await send(alice, { recipient_id: bob.id, content: "once", client_msg_id: "c-1" });
    assert.equal(first.status, 201);
    assert.equal(first.body.client_msg_id, "c-1");
    const again = await send(alice, { recipient_id: bob.id, content: "twice?", client_msg_id: "c-1" });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    // The key is the sender's own: another sender may use the same one.
    assert.equal((await send(bob, { recipient_id: alice.id, content: "mine", client_msg_id: "c-1" })).status, 201);
    const history = await api("GET", `/api/v1/messages/dm/${bob.id}`, { token: alice.token });
    assert.equal(history.body.total, 2);
  });

  it("history with an unknown user is 404", async () => {
    const alice = await newUser("alice");
    const res = await api("GET", `/api/v1/messages/dm/${randomUUID()}`, { token: alice.token });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, "not_found");
  });

  it("conversations list each peer once, latest first, with the last message and unread counts that fall after read", async () => {
    const [alice, bob, carol] = await Promise.all([newUser("alice"), newUser("bob"), newUser("carol")]);
    await send(bob, { recipient_id: alice.id, content: "b1" });
    const b2 = await send(bob, { recipient_id: alice.id, content: "b2" });
    await send(carol, { recipient_id: alice.id, content: "c1" });
    await send(alice, { recipient_id: carol.id, content: "a->c" });

    const before = await api("GET", "/api/v1/messages/conversations", { token: alice.token });
    assert.equal(before.status, 200);
    assert.equal(before.body.total, 2);
    assert.deepEqual(
      before.body.items.map((c: any) => [c.user_id, c.username, c.last_message, c.unread_count]),
      [[carol.id, carol.username, "a->c", 1], [bob.id, bob.username, "b2", 2]],
    );
    assert.ok(!Number.isNaN(Date.parse(before.body.items[0].last_at)));

    const read = await api("POST", `/api/v1/messages/dm/${bob.id}/read`, { token: alice.token, body: { message_id: b2.body.id } });
    assert.equal(read.status, 204);
    const after = await api("GET", "/api/v1/messages/conversations", { token: alice.token });
    assert.deepEqual(after.body.items.map((c: any) => c.unread_count), [1, 0]);
    // Bob's own view of the conversation is unaffected by Alice's reading.
    const bobs = await api("GET", "/api/v1/messages/conversations", { token: bob.token });
    assert.deepEqual(bobs.body.items.map((c: any) => [c.user_id, c.unread_count]), [[alice.id, 0]]);
  });

  it("marking a message read that is not in that conversation is 404, and an unknown peer is 404", async () => {
    const [alice, bob, carol] = await Promise.all([newUser("alice"), newUser("bob"), newUser("carol")]);
    const toCarol = await send(bob, { recipient_id: carol.id, content: "for carol" });
    const wrongPair = await api("POST", `/api/v1/messages/dm/${bob.id}/read`, { token: alice.token, body: { message_id: toCarol.body.id } });
    assert.equal(wrongPair.status, 404);
    assert.equal(wrongPair.body.detail, "message not found");
    const noPeer = await api("POST", `/api/v1/messages/dm/${randomUUID()}/read`, { token: alice.token, body: { message_id: toCarol.body.id } });
    assert.equal(noPeer.status, 404);
    const invalid = await api("POST", `/api/v1/messages/dm/${bob.id}/read`, { token: alice.token, body: {} });
    assert.equal(invalid.status, 400);
  });
});
