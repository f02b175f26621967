import { ClientState, CloseCode, matchMaker, Protocol, ServerError, type AuthContext, type Client, type Deferred, type Room } from "@colyseus/core";
import { Encoder } from "@colyseus/schema";
import { z } from "zod";
import type { Config } from "../../config";
import type { EventBus } from "../../infra/events";
import type { Logger } from "../../infra/logger";
import type { Metrics } from "../../infra/metrics";
import type { WriteLimits } from "../../infra/write-limits";
import { DomainError } from "../../services/errors";
import type { AuthClaims, TokenService } from "../../services/tokens";
import type { SavedPosition, WorldService, ZoneCharacter } from "../../services/world";
import { spendWrite } from "../../services/write-budget";
import { CLOSE_REVOKED } from "../shared/auth";
import { toJoinRejection } from "../shared/errors";
import { authorizeJoin, keyedRoomId, type JoinRules } from "../shared/join";
import { ERROR_MESSAGE, MessageRouter } from "../shared/messages";
import type { RoomProtocol } from "../shared/protocol";
import { TavernRoom } from "../shared/room";
import { Interest, type Member, type PatchSink } from "./interest";
import { FilteredZoneState, Player, ZoneState } from "./state";

/** The name the room is registered under; its zone listing is looked up by it. */
export const WORLD_ZONE_ROOM = "world_zone";

/** The older connection of a character that joined again (docs/realtime.md). */
export const CLOSE_SUPERSEDED = 4409;

/**
 * Closes the room chose on purpose: such a client is gone, not merely dropped. Not
 * Colyseus's 4002: it also closes with it the stale connection of a seat whose
 * reconnection reached the room before the drop did (`checkReconnectionToken`), and
 * that seat must be held for the reconnection to take it.
 */
const NOT_HELD = new Set<number>([CLOSE_REVOKED, CLOSE_SUPERSEDED, CloseCode.SERVER_SHUTDOWN]);

/** Room-wide encode headroom per player (ids, name, class, three numbers, framing). */
const BYTES_PER_PLAYER = 160;

/** Past this, summed inputs stay finite; the step clamp makes the exact value moot. */
const INPUT_BOUND = 1e300;

export type WorldZoneConfig = Pick<
  Config,
  | "WORLD_TICK_RATE"
  | "WORLD_WIDTH"
  | "WORLD_HEIGHT"
  | "WORLD_MAX_STEP"
  | "WORLD_AOI_RADIUS"
  | "WORLD_SAVE_INTERVAL"
  | "WORLD_MAX_CLIENTS"
  | "WORLD_RECONNECT_SECONDS"
  | "WS_MAX_MESSAGES_PER_SECOND"
>;

export interface WorldZoneDeps {
  config: WorldZoneConfig;
  tokens: TokenService;
  world: WorldService;
  events: EventBus;
  logger: Logger;
  metrics: Metrics;
  limits: WriteLimits;
}

/** What `onAuth` resolves; plain JSON, since it may cross processes with the seat. */
interface WorldJoin {
  claims: AuthClaims;
  character: ZoneCharacter;
}

/** One character in the zone, connected or holding its seat for a reconnection. */
interface Seat extends Member {
  character: ZoneCharacter;
  player: Player;
  sessionId: string;
  /** The connection holding the seat; none while it is dropped. */
  client?: Client;
  /** Inputs received since the last tick, summed. */
  dx: number;
  dy: number;
  seq: number | undefined;
  pending: boolean;
  /** Moved since the last save. */
  dirty: boolean;
  reconnection?: Deferred<Client>;
}

export const WORLD_ZONE_JOIN = {
  // A malformed id names no character: the room answers 404 for it, as for an unknown one.
  options: z.strictObject({ character_id: z.string().min(1).max(64) }),
  keys: ["zone_id"],
} satisfies JoinRules;

/**
 * The zone's messages by direction, under the names the room registers and sends
 * (docs/realtime.md documents each; a test holds the two together).
 */
export const WORLD_ZONE_MESSAGES = {
  in: { move: "move", say: "say", ping: "ping" },
  out: { welcome: "welcome", said: "said", pong: "pong", error: ERROR_MESSAGE },
} as const;
const { in: IN, out: OUT } = WORLD_ZONE_MESSAGES;

const moveMessage = z.strictObject({
  dx: z.number().finite(),
  dy: z.number().finite(),
  seq: z.number().int().min(0).max(0xffffffff).optional(),
});
const sayMessage = z.strictObject({ text: z.string().min(1).max(280) });
const pingMessage = z.strictObject({ t: z.number().finite() });

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));

/**
 * Colyseus 0.18 keeps a room's schema encoder on its serializer, which the room
 * creates itself when the state is set and does not expose; Interest needs it to
 * encode membership changes and the shared part of its patches.
 */
function encoderOf(room: Room): Encoder {
  return (room as unknown as { _serializer: { encoder: Encoder } })._serializer.encoder;
}

/** The schema encoder buffer a full zone's state needs (the composition root sets Encoder.BUFFER_SIZE). */
export const worldEncodeBufferSize = (config: Pick<Config, "WORLD_MAX_CLIENTS">) => config.WORLD_MAX_CLIENTS * BYTES_PER_PLAYER;

/**
 * A zone is one room: when it is full the matchmaker would open a second room for the
 * same zone, splitting its players, so a join is refused instead. A full listing of a
 * process that no longer answers (killed) is swept by the health check rather than
 * refusing the zone for good.
 */
async function assertZoneHasRoom(zoneId: string): Promise<void> {
  const listings = await matchMaker.query({ name: WORLD_ZONE_ROOM, zone_id: zoneId } as never);
  for (const room of listings) {
    if (room.clients < room.maxClients) continue;
    if (room.processId === matchMaker.processId || (await matchMaker.healthCheckProcessId(room.processId))) {
      throw new DomainError(503, "zone_full", "This zone is full; try again later.");
    }
  }
}

/**
 * Wraps the matchmaker's choice of process for a new room: a second room for a full
 * zone is refused here, on the matchmaking process, since a refusal thrown by an
 * onCreate on another process crosses Colyseus's IPC as a bare message (a 523).
 */
export function refuseFullZones(select: matchMaker.SelectProcessIdCallback): matchMaker.SelectProcessIdCallback {
  return async (roomName, options) => {
    if (roomName === WORLD_ZONE_ROOM) {
      await assertZoneHasRoom(String(options.zone_id)).catch((err) => {
        throw err instanceof DomainError ? new ServerError(err.status, err.code) : err;
      });
    }
    return select(roomName, options);
  };
}

/**
 * `world_zone`: one room per zone, an authoritative fixed-rate simulation of where
 * characters stand. Moves go through the shared MessageRouter into a per-seat
 * accumulator rather than Colyseus's input API: that API decodes binary schema
 * frames and only sanitizes them, so a bad move could not be answered with `error`
 * as docs/realtime.md says; the accumulator gives the same once-per-tick semantics.
 */
export function createWorldZoneRoom(deps: WorldZoneDeps) {
  const { config, logger } = deps;

  return class WorldZoneRoom extends TavernRoom<{ state: ZoneState }> {
    static readonly protocol: RoomProtocol = { join: WORLD_ZONE_JOIN, messages: WORLD_ZONE_MESSAGES, state: [ZoneState, Player] };

    maxClients = config.WORLD_MAX_CLIENTS;
    maxMessagesPerSecond = config.WS_MAX_MESSAGES_PER_SECOND;

    private readonly seats = new Map<string, Seat>();
    private readonly seatBySession = new Map<string, Seat>();
    private interest?: Interest<Seat>;
    /** When the first tick not yet patched started; set while its patch is queued. */
    private unpatchedSince?: number;
    private readonly patchSink: PatchSink<Seat> = {
      receives: (seat) => seat.client?.state === ClientState.JOINED,
      send: (seat, patch, length) => {
        // Sent frames are written out later, so each patch gets bytes of its own.
        const out = Buffer.allocUnsafe(length);
        patch.copy(out, 0, 0, length);
        seat.client!.raw(out);
      },
    };
    private readonly router = new MessageRouter(this, logger, deps.metrics.roomMessages);

    static onAuth(token: string, options: Record<string, unknown>, context: AuthContext): Promise<WorldJoin> {
      return authorizeJoin(deps.tokens, WORLD_ZONE_JOIN, token, options, context, async (claims, { character_id }) => {
        const character = await deps.world.loadForJoin(character_id, claims);
        await assertZoneHasRoom(character.zoneId);
        // The zone is the character's, whatever the client asked for.
        return { key: { zone_id: character.zoneId }, auth: { claims, character } };
      });
    }

    async onCreate(options: { zone_id: string }) {
      this.roomId = keyedRoomId(this.roomName, options, WORLD_ZONE_JOIN.keys);
      // Joins that passed onAuth while the zone still had room find it locked once full,
      // and the matchmaker then creates a second room for the zone: refuse that here.
      await assertZoneHasRoom(options.zone_id).catch((err) => {
        throw toJoinRejection(err, logger);
      });
      const aoi = config.WORLD_AOI_RADIUS > 0;
      this.state = aoi ? new FilteredZoneState() : new ZoneState();
      this.state.zone_id = options.zone_id;
      if (aoi) this.interest = new Interest<Seat>(config.WORLD_AOI_RADIUS, config.WORLD_WIDTH, config.WORLD_HEIGHT);
      // The zone sends its own patches, so the tick duration metric covers the encode that
      // dominates it. Timestep first: a null patch rate set before it would start a second
      // clock ticker that steals the timestep's elapsed time.
      this.setFixedTimestep(() => this.tick(), config.WORLD_TICK_RATE);
      this.setPatchRate(null);
      this.clock.setInterval(() => void this.saveAll(), config.WORLD_SAVE_INTERVAL * 1000);

      this.router
        .on(IN.move, moveMessage, (client, msg) => this.queueMove(client, msg))
        .on(IN.say, sayMessage, async (client, msg) => {
          await spendWrite(deps.limits, "say", (client.auth as AuthClaims).userId);
          this.say(client, msg.text);
        })
        .on(IN.ping, pingMessage, (client, msg) =>
          this.router.send(client, OUT.pong, { t: msg.t, server_time: Date.now(), tick: this.state.tick }),
        );
    }

    onJoin(client: Client) {
      const { claims, character } = client.auth as WorldJoin;
      // From here on the client carries its claims, as the revocation hub (rooms/shared/hub.ts) expects.
      client.auth = claims;
      const existing = this.seats.get(character.id);
      const seat = existing ? this.takeOver(existing, client) : this.seat(character, client.sessionId);
      this.seatBySession.set(client.sessionId, seat);
      seat.client = client;
      client.view = seat.view;
      this.router.send(client, OUT.welcome, {
        session_id: client.sessionId,
        character_id: character.id,
        zone_id: this.state.zone_id,
        tick_rate: config.WORLD_TICK_RATE,
        x: seat.x,
        y: seat.y,
        width: config.WORLD_WIDTH,
        height: config.WORLD_HEIGHT,
      });
      if (!existing) {
        this.publish("player.joined", {
          zone_id: this.state.zone_id,
          character_id: character.id,
          owner_id: character.ownerId,
          name: character.name,
          x: seat.x,
          y: seat.y,
        });
      }
    }

    onDrop(client: Client, code?: number) {
      const seat = this.currentSeatOf(client);
      if (!seat) return;
      seat.client = undefined;
      if (NOT_HELD.has(code ?? 0) || config.WORLD_RECONNECT_SECONDS <= 0) return;
      const reconnection = this.allowReconnection(client, config.WORLD_RECONNECT_SECONDS);
      // Expiry and refusal (the room is closing) both end in onLeave, which saves the seat.
      reconnection.catch(() => undefined);
      seat.reconnection = reconnection;
    }

    async onReconnect(client: Client) {
      const seat = this.currentSeatOf(client);
      if (seat) {
        seat.reconnection = undefined;
        seat.client = client;
        // A new connection holds nothing yet: it starts from its own full state.
        this.interest?.reset(seat);
        client.view = seat.view;
      }
      // A reconnection skips onAuth: a token revoked while the connection was down must not resume.
      if (await deps.tokens.isRevoked(client.auth as AuthClaims)) client.leave(CLOSE_REVOKED, "token revoked");
    }

    async onLeave(client: Client) {
      const seat = this.currentSeatOf(client);
      this.seatBySession.delete(client.sessionId);
      if (!seat) return;
      this.unseat(seat);
      if (seat.dirty) await this.save([seat]);
      this.publish("player.left", {
        zone_id: this.state.zone_id,
        character_id: seat.character.id,
        x: seat.x,
        y: seat.y,
      });
    }

    onBeforeShutdown() {
      // Persist first: the default then disconnects everyone so they can move on.
      void this.saveAll().finally(() => super.onBeforeShutdown());
    }

    async onDispose() {
      // Before the first await: the tick that sets it stops when this returns.
      deps.metrics.worldPlayers.remove({ zone_id: this.state.zone_id });
      await this.saveAll();
    }

    onUncaughtException(error: Error, method: string) {
      // A second room refused for a full zone (onCreate) is a join rejection the client already has.
      if (error.cause instanceof ServerError) return;
      logger.error({ err: error, method, room: this.roomName, zone: this.state.zone_id }, "world zone failure");
    }

    private seat(character: ZoneCharacter, sessionId: string): Seat {
      const x = clamp(character.x, 0, config.WORLD_WIDTH);
      const y = clamp(character.y, 0, config.WORLD_HEIGHT);
      const player = new Player().assign({ character_id: character.id, name: character.name, class: character.class, x, y });
      const seat: Seat = { character, player, sessionId, x, y, dx: 0, dy: 0, seq: undefined, pending: false, dirty: false };
      this.seats.set(character.id, seat);
      this.state.players.set(character.id, player);
      this.interest?.join(seat);
      return seat;
    }

    /** The same character joined again: the newer connection gets the seat, and the older one is closed. */
    private takeOver(seat: Seat, client: Client): Seat {
      const previous = this.clients.getById(seat.sessionId);
      seat.sessionId = client.sessionId;
      seat.dx = seat.dy = 0;
      seat.pending = false;
      if (seat.reconnection) {
        seat.reconnection.reject();
        seat.reconnection = undefined;
      }
      previous?.leave(CLOSE_SUPERSEDED, "joined again elsewhere");
      this.interest?.reset(seat);
      return seat;
    }

    private unseat(seat: Seat) {
      this.interest?.leave(seat);
      this.seats.delete(seat.character.id);
      this.state.players.delete(seat.character.id);
    }

    /** The seat this client holds now; a superseded connection holds none. */
    private currentSeatOf(client: Client): Seat | undefined {
      const seat = this.seatBySession.get(client.sessionId);
      return seat && seat.sessionId === client.sessionId ? seat : undefined;
    }

    private queueMove(client: Client, msg: z.output<typeof moveMessage>) {
      const seat = this.currentSeatOf(client);
      if (!seat) return;
      seat.dx = clamp(seat.dx + msg.dx, -INPUT_BOUND, INPUT_BOUND);
      seat.dy = clamp(seat.dy + msg.dy, -INPUT_BOUND, INPUT_BOUND);
      if (msg.seq !== undefined) seat.seq = msg.seq;
      seat.pending = true;
    }

    private say(client: Client, text: string) {
      const seat = this.currentSeatOf(client);
      if (!seat) return;
      this.router.broadcast(OUT.said, {
        character_id: seat.character.id,
        name: seat.character.name,
        text,
        at: new Date().toISOString(),
      });
    }

    /**
     * A zone that fell behind gets up to five ticks back to back from Colyseus's fixed
     * timestep, with no moves read between them. They go out as one patch, queued
     * behind the timer's callback. A patch per catch-up tick would cost a send to every
     * client and carry nothing but the tick number, so a zone that fell behind would
     * spend its time on those and fall further behind (docs/performance.md).
     */
    private tick() {
      if (this.unpatchedSince === undefined) {
        this.unpatchedSince = performance.now();
        queueMicrotask(() => this.patch());
      }
      this.step();
      deps.metrics.worldTicks.inc({ zone_id: this.state.zone_id });
      deps.metrics.worldPlayers.set({ zone_id: this.state.zone_id }, this.seats.size);
    }

    /** The patch of the ticks run since the last one; the duration metric covers those ticks and it. */
    private patch() {
      const since = this.unpatchedSince!;
      this.unpatchedSince = undefined;
      // Outside the timestep's own guard: a failure here is logged as a tick's would be, and the next tick patches again.
      try {
        if (this.interest) this.sendInterestPatches(this.interest);
        else this.broadcastPatch();
        deps.metrics.worldTickSeconds.observe((performance.now() - since) / 1000);
      } catch (err) {
        this.onUncaughtException(err as Error, "patch");
      }
    }

    private step() {
      const tick = ++this.state.tick;
      const moves: { character_id: string; x: number; y: number }[] = [];
      for (const seat of this.seats.values()) {
        if (!seat.pending) continue;
        let { dx, dy } = seat;
        seat.dx = seat.dy = 0;
        seat.pending = false;
        const length = Math.hypot(dx, dy);
        if (length > config.WORLD_MAX_STEP) {
          const scale = config.WORLD_MAX_STEP / length;
          dx *= scale;
          dy *= scale;
        }
        const seqChanged = seat.seq !== undefined && seat.seq !== seat.player.seq;
        if (seqChanged) seat.player.seq = seat.seq!;
        const x = clamp(seat.x + dx, 0, config.WORLD_WIDTH);
        const y = clamp(seat.y + dy, 0, config.WORLD_HEIGHT);
        const moved = x !== seat.x || y !== seat.y;
        if (moved) {
          seat.x = seat.player.x = x;
          seat.y = seat.player.y = y;
          seat.dirty = true;
          moves.push({ character_id: seat.character.id, x, y });
        }
        if (moved || seqChanged) this.interest?.moved(seat, moved, seqChanged);
      }
      if (moves.length > 0) this.publish("player.moved", { zone_id: this.state.zone_id, tick, moves });
    }

    /** With AOI on, patches are assembled per client by Interest (interest.ts says why). */
    private sendInterestPatches(interest: Interest<Seat>) {
      interest.update(this.patchSink.receives);
      interest.sendPatches(encoderOf(this), Protocol.ROOM_STATE_PATCH, this.patchSink);
    }

    /** The zone's periodic (and final) save: every moved seat in one batch. */
    private saveAll(): Promise<void> {
      return this.save([...this.seats.values()].filter((s) => s.dirty));
    }

    private async save(seats: Seat[]): Promise<void> {
      if (seats.length === 0) return;
      const positions: SavedPosition[] = seats.map((s) => ({
        characterId: s.character.id,
        ownerId: s.character.ownerId,
        x: s.x,
        y: s.y,
      }));
      for (const s of seats) s.dirty = false;
      try {
        await deps.world.savePositions(positions);
      } catch (err) {
        // Still seated ones are retried by the next periodic save.
        for (const s of seats) s.dirty = true;
        logger.error({ err, zone: this.state.zone_id, count: seats.length }, "saving positions failed");
      }
    }

    private publish(type: string, data: unknown) {
      deps.events.publish(type, data).catch((err) => logger.error({ err, type }, "publishing a world event failed"));
    }
  };
}
