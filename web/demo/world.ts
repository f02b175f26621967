import type { MapSchema, Schema } from "@colyseus/schema";
import { Callbacks, type Client, type Room } from "@colyseus/sdk";
import { joinWhenFree } from "./busy";
import { PlayerModel, Prediction, type Bounds } from "./world-model";

/** Close codes the page treats differently (docs/realtime.md; 4000 is Colyseus's consented leave). */
export const CLOSE_CONSENTED = 4000;
export const CLOSE_REVOKED = 4401;
export const CLOSE_SUPERSEDED = 4409;
/**
 * The process shut down (docs/outages.md). Its rooms are gone, so the SDK's reconnection
 * has nothing to return to and leaves it to us: a new join, which matchmaking places on
 * a live process.
 */
export const CLOSE_SERVER_SHUTDOWN = 4001;

export interface Welcome {
  session_id: string;
  character_id: string;
  zone_id: string;
  tick_rate: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Said {
  character_id: string;
  name: string;
  text: string;
  at: string;
}

/** The room's state as the SDK decodes it (reflected from the server: no classes of ours). */
interface PlayerState extends Schema {
  character_id: string;
  name: string;
  x: number;
  y: number;
  seq: number;
}

interface ZoneState extends Schema {
  players: MapSchema<PlayerState>;
}

/** connected; reconnecting after a drop; or stopped for good, for the reason given. */
export type Link = "connected" | "reconnecting" | "superseded" | "revoked" | "failed";

export interface WorldEvents {
  welcome(welcome: Welcome): void;
  added(player: PlayerModel): void;
  changed(player: PlayerModel): void;
  removed(id: string): void;
  said(said: Said): void;
  link(link: Link, detail?: string): void;
  error(error: { code: string; message: string }): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * This page's seat in `world_zone`. A drop is first resumed by the SDK with the room's
 * reconnection token (the server holds the seat for WORLD_RECONNECT_SECONDS); when that
 * fails, the page joins afresh, which takes the seat back if it is still held. 4409 and
 * 4401 stop it: another connection has the character, or the session is over.
 */
export class World {
  readonly players = new Map<string, PlayerModel>();
  readonly bounds: Bounds = { width: 1000, height: 1000 };
  tickRate = 20;
  prediction?: Prediction;
  private room?: Room;
  private link: Link | undefined;
  private stopped = true;

  constructor(
    private readonly client: Client,
    private readonly token: () => string | undefined,
    readonly characterId: string,
    /** WORLD_MAX_STEP: a move is half of it per tick, so two inputs landing in one tick are not clamped. */
    private readonly maxStep: number,
    private readonly events: WorldEvents,
  ) {}

  get self(): PlayerModel | undefined {
    return this.players.get(this.characterId);
  }

  /** Joins; a refused first join (401, 403, 404, or a 503, a full zone among them, that outlasts a few tries) rejects with the SDK's error. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.join();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const room = this.room;
    this.room = undefined;
    if (room?.connection?.isOpen) await room.leave();
  }

  /** A step in a unit direction, predicted at once and sent with its seq. */
  move(ux: number, uy: number): void {
    if (!this.room || !this.prediction || this.link !== "connected") return;
    const dx = ux * (this.maxStep / 2);
    const dy = uy * (this.maxStep / 2);
    const seq = this.prediction.input(dx, dy, performance.now());
    this.room.send("move", { dx, dy, seq });
  }

  say(text: string): boolean {
    if (!this.room || this.link !== "connected") return false;
    this.room.send("say", { text });
    return true;
  }

  private async join(): Promise<void> {
    // The token is read at each try: it may have been refreshed during a wait.
    const room = await joinWhenFree(() => {
      this.client.auth.token = this.token() ?? "";
      return this.client.joinOrCreate("world_zone", { character_id: this.characterId });
    }, () => this.stopped);
    if (this.stopped) {
      await room.leave();
      return;
    }
    this.attach(room);
  }

  private attach(room: Room): void {
    this.room = room;
    // A drop right after joining is a drop too (the SDK's default waits 5 s), and past a
    // few attempts the seat is gone anyway: a fresh join is then the way back.
    room.reconnection.minUptime = 0;
    room.reconnection.maxRetries = 5;
    for (const id of [...this.players.keys()]) this.remove(id);
    this.prediction = undefined;

    room.onMessage("welcome", (welcome: Welcome) => {
      this.bounds.width = welcome.width;
      this.bounds.height = welcome.height;
      this.tickRate = welcome.tick_rate;
      this.events.welcome(welcome);
    });
    room.onMessage("said", (said: Said) => {
      const speaker = this.players.get(said.character_id);
      if (speaker) speaker.said = { text: said.text, until: performance.now() + 6_000 };
      this.events.said(said);
    });
    room.onMessage("pong", () => undefined);
    room.onMessage("error", (error: { code: string; message: string }) => this.events.error(error));

    const callbacks = Callbacks.get(room as Room<unknown, ZoneState>);
    callbacks.onAdd("players", (player: PlayerState, id: string) => {
      this.add(id, player);
      callbacks.onChange(player, () => this.change(id, player));
    });
    callbacks.onRemove("players", (_player: PlayerState, id: string) => this.remove(id));

    room.onDrop(() => this.setLink("reconnecting"));
    room.onReconnect(() => {
      // Inputs sent before the drop may be lost: predict afresh from where the server has us.
      const self = this.self;
      this.prediction = self ? new Prediction(this.bounds, self.x, self.y, this.prediction?.lastSeq ?? 0) : undefined;
      this.setLink("connected");
    });
    room.onLeave((code: number, reason?: string) => this.left(room, code, reason));
    this.setLink("connected");
  }

  private add(id: string, state: PlayerState): void {
    const player = new PlayerModel(id, state.name, state.x, state.y, performance.now());
    this.players.set(id, player);
    if (id === this.characterId) this.prediction = new Prediction(this.bounds, state.x, state.y, state.seq);
    this.events.added(player);
  }

  private change(id: string, state: PlayerState): void {
    const player = this.players.get(id);
    if (!player) return;
    const now = performance.now();
    if (state.x !== player.x || state.y !== player.y) player.moved(state.x, state.y, now, 1000 / this.tickRate);
    player.name = state.name;
    if (id === this.characterId) {
      this.prediction ??= new Prediction(this.bounds, state.x, state.y, state.seq);
      this.prediction.reconcile(state.x, state.y, state.seq, now);
    }
    this.events.changed(player);
  }

  private remove(id: string): void {
    if (this.players.delete(id)) this.events.removed(id);
  }

  private left(room: Room, code: number, reason?: string): void {
    if (room !== this.room) return;
    this.room = undefined;
    if (this.stopped || code === CLOSE_CONSENTED) return;
    if (code === CLOSE_SUPERSEDED || code === CLOSE_REVOKED) {
      // Nothing here is live any more: show no players rather than frozen ones.
      for (const id of [...this.players.keys()]) this.remove(id);
      return this.setLink(code === CLOSE_SUPERSEDED ? "superseded" : "revoked");
    }
    const shutdown = code === CLOSE_SERVER_SHUTDOWN;
    this.setLink("reconnecting", shutdown ? "the server is restarting" : reason);
    void this.rejoin(shutdown);
  }

  /** Joins again with growing pauses (the first at once when asked) until it works or is refused for good. */
  private async rejoin(atOnce = false): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      if (attempt > 0 || !atOnce) await sleep(Math.min(5_000, 250 * 2 ** attempt));
      if (this.stopped) return;
      try {
        await this.join();
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 401) return this.setLink("revoked");
        if (code === 403 || code === 404) return this.setLink("failed", (err as Error).message);
      }
    }
  }

  private setLink(link: Link, detail?: string): void {
    if (link === this.link && link !== "failed") return;
    this.link = link;
    this.events.link(link, detail);
  }
}
