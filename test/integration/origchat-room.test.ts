import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { api, newUser, type TestUser } from "../support/api";
import { eventually } from "../support/eventually";
import { sdk } from "../support/server";

/** The origchat room (docs/realtime.md): the actor of its session, through real SDK clients. */

interface Live {
  room: Room<any>;
  /** Message types in the order received. */
  order: string[];
  deltas: { turn: number; text: string }[];
  results: any[];
  errors: any[];
  closed: Promise<number>;
}

async function newSession(user: TestUser, body: Record<string, unknown> = {}) {
  const story = await api("POST", "/api/v1/stories", {
    token: user.token,
    body: { title: "The Lantern", summary: "Fog and lamps.", content: "Mara lit the lamps along the harbour.", ...body },
  });
  assert.equal(story.status, 201);
  const res = await api("POST", "/api/v1/chat/origchat/start", { token: user.token, body: { story_id: story.body.id } });
  assert.equal(res.status, 200);
  return { storyId: story.body.id as string, sessionId: res.body.session_id as string };
}

async function join(user: TestUser, sessionId: string): Promise<Live> {
  const room = await sdk(user.token).joinOrCreate("origchat", { session_id: sessionId });
  const live: Live = { room, order: [], deltas: [], results: [], errors: [], closed: new Promise((resolve) => room.onLeave((code: number) => resolve(code))) };
  room.onMessage("*", (type: string | number, data: any) => {
    live.order.push(String(type));
    if (type === "delta") live.deltas.push(data);
    else if (type === "turn_result") live.results.push(data);
    else if (type === "error") live.errors.push(data);
  });
  await eventually(() => room.state?.session_id === sessionId, "the session's state");
  return live;
}

async function refusal(user: TestUser, options: Record<string, unknown>, method: "joinOrCreate" | "joinById" = "joinOrCreate", roomId?: string): Promise<number | undefined> {
  try {
    const client = sdk(user.token);
    const room = method === "joinById" ? await client.joinById(roomId!, options) : await client.joinOrCreate("origchat", options);
    await room.leave();
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

const restTurn = (user: TestUser, body: Record<string, unknown>) => api("POST", "/api/v1/chat/origchat/turn", { token: user.token, body });
const stateEvents = (live: Live) => live.room.state.events.map((e: any) => ({ id: e.id, turn: e.turn, role: e.role, kind: e.kind, text: e.text }));

describe("origchat room", () => {
  const open: Live[] = [];
  const track = (live: Live) => (open.push(live), live);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => (l.room.connection.isOpen ? l.room.leave() : undefined)));
  });

  describe("joining", () => {
    it("the owner joins and sees the session: ids, mode, turn, pending choices and events", async () => {
      const user = await newUser("ocr");
      const { storyId, sessionId } = await newSession(user);
      const played = await restTurn(user, { session_id: sessionId, input: { type: "text", text: "Hello there." } });
      const live = track(await join(user, sessionId));
      const s = live.room.state;
      assert.equal(s.story_id, storyId);
      assert.equal(s.character_id, "");
      assert.equal(s.mode, "plain");
      assert.equal(s.turn, 1);
      assert.equal(s.status, "idle");
      assert.deepEqual(s.pending_choices.map((c: any) => ({ id: c.id, label: c.label })), played.body.pending_choices);
      assert.deepEqual(stateEvents(live).map((e: any) => e.id), played.body.events.map((e: any) => e.id));
    });

    it("an unknown or malformed session is 404, someone else's 403, one whose story was deleted 410", async () => {
      const [owner, stranger] = await Promise.all([newUser("ocr"), newUser("ocr")]);
      const { storyId, sessionId } = await newSession(owner);
      assert.equal(await refusal(owner, { session_id: "00000000-0000-4000-8000-000000000000" }), 404);
      assert.equal(await refusal(owner, { session_id: "not-a-session" }), 404);
      assert.equal(await refusal(stranger, { session_id: sessionId }), 403);
      assert.equal(await refusal(owner, { session_id: sessionId, story_id: storyId }), 400, "server-owned options are not the client's");
      await api("DELETE", `/api/v1/stories/${storyId}`, { token: owner.token });
      assert.equal(await refusal(owner, { session_id: sessionId }), 410);
    });

    it("joinById into someone else's session room is 403, whatever session_id is sent", async () => {
      const [owner, stranger] = await Promise.all([newUser("ocr"), newUser("ocr")]);
      const { sessionId } = await newSession(owner);
      const mine = await newSession(stranger);
      const live = track(await join(owner, sessionId));
      assert.equal(await refusal(stranger, { session_id: sessionId }, "joinById", live.room.roomId), 403);
      assert.equal(await refusal(stranger, { session_id: mine.sessionId }, "joinById", live.room.roomId), 403);
    });

    it("two devices of the owner share one room", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const a = track(await join(user, sessionId));
      const b = track(await join(user, sessionId));
      assert.equal(a.room.roomId, b.room.roomId);
    });
  });

  describe("turns", () => {
    it("a turn streams delta messages to every client, then turn_result to its sender, and the state shows it", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const sender = track(await join(user, sessionId));
      const other = track(await join(user, sessionId));
      sender.room.send("turn", { input: { type: "text", text: "I walk towards the harbour." } });
      await eventually(() => sender.results.length === 1, "turn_result");
      const result = sender.results[0];
      assert.equal(result.turn, 1);
      assert.deepEqual(result.events.map((e: any) => [e.role, e.kind]), [["user", "text"], ["narrator", "reply"]]);
      assert.ok(sender.deltas.length >= 1);
      assert.ok(sender.order.indexOf("delta") < sender.order.indexOf("turn_result"), "deltas come before the result");
      assert.ok(sender.deltas.every((d) => d.turn === 1));
      assert.equal(sender.deltas.map((d) => d.text).join(""), result.events[1].text);
      await eventually(() => other.deltas.map((d) => d.text).join("") === result.events[1].text, "the other device's deltas");
      assert.equal(other.results.length, 0, "turn_result goes to the sender only");
      await eventually(() => other.room.state.turn === 1 && other.room.state.events.length === 2 && other.room.state.pending_choices.length === 3, "state");
      assert.deepEqual(stateEvents(other).map((e: any) => e.id), result.events.map((e: any) => e.id));
      assert.equal(other.room.state.status, "idle");
    });

    it("a REST turn on a session whose room is live is played by the room: its clients get the deltas and the state", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const live = track(await join(user, sessionId));
      const res = await restTurn(user, { session_id: sessionId, input: { type: "situation", text: "The lamps go out." } });
      assert.equal(res.status, 200);
      assert.equal(res.body.turn, 1);
      await eventually(() => live.deltas.map((d) => d.text).join("") === res.body.events[1].text, "the REST turn's deltas in the room");
      await eventually(() => live.room.state.turn === 1 && live.room.state.events.length === 2, "the REST turn in the state");
      assert.deepEqual(live.room.state.pending_choices.map((c: any) => c.id), res.body.pending_choices.map((c: any) => c.id));
      assert.equal(live.results.length, 0, "the REST caller got the result, not the room's client");
    });

    it("20 parallel turns, half over REST and half in the room, are turns 1..20 with no gap or duplicate", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const live = track(await join(user, sessionId));
      const rest: Promise<any>[] = [];
      for (let i = 0; i < 20; i++) {
        if (i % 2) rest.push(restTurn(user, { session_id: sessionId, input: { type: "text", text: `REST ${i}` } }));
        else live.room.send("turn", { input: { type: "text", text: `room ${i}` } });
      }
      const restResults = await Promise.all(rest);
      assert.deepEqual(restResults.map((r) => r.status), Array(10).fill(200));
      await eventually(() => live.results.length === 10, "ten turn_results");
      const turns = [...restResults.map((r) => r.body.turn), ...live.results.map((r) => r.turn)].sort((a, b) => a - b);
      assert.deepEqual(turns, Array.from({ length: 20 }, (_, i) => i + 1));
      // The room's own turns were played in the order they were sent.
      assert.deepEqual(live.results.map((r) => r.events[0].text), Array.from({ length: 10 }, (_, i) => `room ${i * 2}`));
      await eventually(() => live.room.state.turn === 20 && live.room.state.events.length === 40, "every turn in the state");
      const view = await api("GET", `/api/v1/chat/origchat/sessions/${sessionId}`, { token: user.token });
      assert.deepEqual(stateEvents(live).map((e: any) => e.id), view.body.events.map((e: any) => e.id));
    });

    it("the state keeps the last 50 events", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const live = track(await join(user, sessionId));
      for (let i = 0; i < 27; i++) {
        live.room.send("turn", { input: { type: "text", text: `Turn ${i}` } });
        await eventually(() => live.results.length === i + 1, `turn ${i}`);
      }
      await eventually(() => live.room.state.events.at(-1)?.turn === 27 && live.room.state.events.at(-1)?.kind === "reply", "turn 27's reply");
      assert.equal(live.room.state.events.length, 50);
      assert.equal(live.room.state.events[0].turn, 3);
      assert.equal(live.room.state.events[49].turn, 27);
    });

    it("a choice is played from the room's pending choices; a bad one is answered with error and the connection stays open", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const live = track(await join(user, sessionId));
      live.room.send("turn", { input: { type: "choice", choice_id: "c-none" } });
      await eventually(() => live.errors.length === 1, "error");
      assert.equal(live.errors[0].code, "no_pending_choice");
      live.room.send("turn", { input: { type: "text", text: "Look around." } });
      await eventually(() => live.room.state.pending_choices.length === 3, "choices");
      live.room.send("turn", { input: { type: "choice", choice_id: "c-unknown" } });
      await eventually(() => live.errors.length === 2, "second error");
      assert.equal(live.errors[1].code, "invalid_choice");
      const choice = live.room.state.pending_choices[0];
      live.room.send("turn", { input: { type: "choice", choice_id: choice.id } });
      await eventually(() => live.results.length === 2, "the choice's result");
      assert.equal(live.results[1].events[0].text, choice.label);
      live.room.send("turn", { input: { type: "text" } });
      live.room.send("turn", { input: { type: "text", text: "Hi" }, settings_patch: { colour: "red" } });
      await eventually(() => live.errors.length === 4, "validation errors");
      assert.equal(live.errors[2].code, "validation_failed");
      assert.equal(live.errors[3].code, "unknown_setting");
      assert.ok(live.room.connection.isOpen);
      await eventually(() => live.room.state.turn === 2, "two turns in the state");
    });

    it("the same idempotency_key sent twice in the room answers the same result and plays one turn", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const live = track(await join(user, sessionId));
      live.room.send("turn", { input: { type: "text", text: "Once only." }, idempotency_key: "room-once" });
      live.room.send("turn", { input: { type: "text", text: "Once only." }, idempotency_key: "room-once" });
      await eventually(() => live.results.length === 2, "two results");
      assert.deepEqual(live.results[1], live.results[0]);
      const rest = await restTurn(user, { session_id: sessionId, input: { type: "text", text: "Once only." }, idempotency_key: "room-once" });
      assert.deepEqual(rest.body, live.results[0]);
      // State patches follow messages by up to a patch interval.
      await eventually(() => live.room.state.turn === 1 && live.room.state.events.length === 2, "one turn in the state");
      const view = await api("GET", `/api/v1/chat/origchat/sessions/${sessionId}`, { token: user.token });
      assert.equal(view.body.turn, 1);
      assert.equal(view.body.events.length, 2);
    });
  });

  describe("closing", () => {
    it("deleting the story closes live connections with 4410", async () => {
      const user = await newUser("ocr");
      const { storyId, sessionId } = await newSession(user);
      const live = track(await join(user, sessionId));
      assert.equal((await api("DELETE", `/api/v1/stories/${storyId}`, { token: user.token })).status, 204);
      assert.equal(await live.closed, 4410);
    });

    it("a session room with no clients left goes away; a REST turn then plays without it", async () => {
      const user = await newUser("ocr");
      const { sessionId } = await newSession(user);
      const live = await join(user, sessionId);
      await live.room.leave();
      await eventually(async () => !(await matchMaker.getRoomById(live.room.roomId)), "the room disposed");
      const res = await restTurn(user, { session_id: sessionId, input: { type: "text", text: "Anyone?" } });
      assert.equal(res.status, 200);
      assert.equal(res.body.turn, 1);
    });
  });
});
