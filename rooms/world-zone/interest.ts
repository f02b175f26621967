import { $refId, encode, OPERATION, StateView, type Encoder } from "@colyseus/schema";
import { Player } from "./state";

/**
 * Interest management for a zone with WORLD_AOI_RADIUS > 0: each client's StateView
 * holds itself and exactly the players within the radius of it, found through a
 * uniform grid rather than a scan of every pair. A player enters a view at the radius
 * and leaves it only past the radius plus a margin, so one walking along the edge does
 * not flicker in and out (every entry costs its client a full ADD of about 120 bytes).
 *
 * Why patches are assembled here rather than by Colyseus: Colyseus encodes a view by
 * walking every change of the tick and testing each against the view, about 50 µs per
 * view per tick at 1,000 players (docs/performance.md), so a view per client cannot hold 20
 * ticks/s. Here the StateViews only carry membership (ADD and DELETE, which Colyseus
 * still encodes), and the movement part of every patch is one small chunk per moved
 * player, encoded once per tick and copied into the patch of each client that holds
 * that player. A chunk writes the same bytes Colyseus would for those fields, so the
 * SDK decodes it as an ordinary patch. `seq` only goes to the player's own client,
 * the one that reconciles with it; others hold the value it had when it came into view.
 */
export interface Member {
  readonly player: Player;
  /** Full-precision position; the state carries it as float32. */
  x: number;
  y: number;
  /** What this member's client is shown. Set by Interest. */
  view?: StateView;
}

interface Tracked<M> {
  readonly member: M;
  /** Orders pairs, so each pair is looked at once per update. */
  readonly id: number;
  cell: number;
  /** Members this member's view holds, itself included. */
  holds: Set<Tracked<M>>;
  /** The view was replaced for a new connection: its first full state covers what it holds so far. */
  fresh: boolean;
  moved: boolean;
  seqChanged: boolean;
  /** This tick's chunk in the chunk buffer, valid while `chunkTick` is the current tick. */
  chunkTick: number;
  chunkStart: number;
  chunkEnd: number;
  ownChunkEnd: number;
}

/** Beyond the radius by this share of it, a held player is dropped. */
const LEAVE_MARGIN = 0.05;

/** The wire index of a Player field, as Colyseus numbers them from the class's metadata. */
function fieldIndex(name: "x" | "y" | "seq"): number {
  const fields = Object.values((Player as unknown as Record<symbol, Record<string, { name: string; index: number }>>)[Symbol.metadata]!);
  const field = fields.find((f) => f?.name === name);
  if (!field) throw new Error(`Player has no field ${name}`);
  return field.index;
}

const FIELD = { x: fieldIndex("x"), y: fieldIndex("y"), seq: fieldIndex("seq") } as const;

export class Interest<M extends Member> {
  /** Members by cell, and each cell's neighbourhood (itself and the up to eight around it). */
  private readonly cells: Set<Tracked<M>>[];
  private readonly neighbours: number[][];
  private readonly members = new Map<M, Tracked<M>>();
  /** Members whose position or seq changed this tick. */
  private readonly changed: Tracked<M>[] = [];
  private readonly cellSize: number;
  private readonly columns: number;
  private readonly rows: number;
  private readonly enterSq: number;
  private readonly leaveSq: number;
  private nextId = 0;
  private tick = 0;
  /** Scratch space for the chunks of one tick. */
  private chunks = new Uint8Array(64 * 1024);

  constructor(radius: number, width: number, height: number) {
    const leave = radius * (1 + LEAVE_MARGIN);
    // Cells as wide as the leave distance: everything a member may hold lies in its cell or the eight around it.
    this.cellSize = leave;
    this.columns = Math.floor(width / leave) + 1;
    this.rows = Math.floor(height / leave) + 1;
    this.enterSq = radius * radius;
    this.leaveSq = leave * leave;
    this.cells = Array.from({ length: this.columns * this.rows }, () => new Set<Tracked<M>>());
    this.neighbours = this.cells.map((_, cell) => {
      const cx = cell % this.columns;
      const cy = Math.floor(cell / this.columns);
      const around: number[] = [];
      for (let y = Math.max(0, cy - 1); y <= Math.min(this.rows - 1, cy + 1); y++) {
        for (let x = Math.max(0, cx - 1); x <= Math.min(this.columns - 1, cx + 1); x++) around.push(y * this.columns + x);
      }
      return around;
    });
  }

  /** A member arrives: its view starts with itself; the next `update` brings its neighbours. */
  join(member: M): void {
    const t: Tracked<M> = {
      member,
      id: this.nextId++,
      cell: -1,
      holds: new Set(),
      fresh: true,
      moved: false,
      seqChanged: false,
      chunkTick: -1,
      chunkStart: 0,
      chunkEnd: 0,
      ownChunkEnd: 0,
    };
    this.members.set(member, t);
    this.place(t, this.cellAt(member.x, member.y));
    this.reset(member);
  }

  /**
   * The member's client starts over (reconnection, a second login): a new view,
   * showing only itself until `update`. Other views keep holding it.
   */
  reset(member: M): void {
    const t = this.members.get(member)!;
    t.holds.clear();
    member.view?.dispose();
    member.view = new StateView();
    t.fresh = true;
    this.show(t, t);
  }

  leave(member: M): void {
    const t = this.members.get(member);
    if (!t) return;
    // Every view, not only the neighbourhood's: a holder may be a cell further off until the next update.
    for (const o of this.members.values()) if (o !== t) this.hide(o, t);
    member.view?.dispose();
    this.cells[t.cell]!.delete(t);
    this.members.delete(member);
  }

  /** The member's position (`x`, `y`, already set) or its `seq` changed this tick. */
  moved(member: M, positionChanged: boolean, seqChanged: boolean): void {
    const t = this.members.get(member)!;
    if (!t.moved && !t.seqChanged) this.changed.push(t);
    t.moved ||= positionChanged;
    t.seqChanged ||= seqChanged;
    if (positionChanged) this.place(t, this.cellAt(member.x, member.y));
  }

  /**
   * Start of a patch: views of clients that received their full state since the last
   * patch drop the pending membership changes that state already carried; then each
   * view lets go of whoever is past the leave distance, and every pair of members in
   * neighbouring cells is looked at once: within the radius, each shows the other.
   */
  update(isJoined: (member: M) => boolean): void {
    for (const t of this.members.values()) {
      if (t.fresh && isJoined(t.member)) {
        t.member.view!.changes.clear();
        t.fresh = false;
      }
    }
    for (const a of this.members.values()) {
      const { x, y } = a.member;
      for (const h of a.holds) {
        if (h !== a && this.distanceSq(x, y, h) > this.leaveSq) this.hide(a, h);
      }
      for (const cell of this.neighbours[a.cell]!) {
        for (const b of this.cells[cell]!) {
          if (b.id > a.id && this.distanceSq(x, y, b) <= this.enterSq) {
            this.show(a, b);
            this.show(b, a);
          }
        }
      }
    }
  }

  /**
   * Sends this tick's patch to every joined client: the shared part (root fields), its
   * view's membership changes, then the chunk of each player it holds that moved.
   */
  sendPatches(encoder: Encoder, header: number, targets: Iterable<{ member: M; send: (bytes: Uint8Array) => void }>): void {
    const it = { offset: 1 };
    encoder.sharedBuffer[0] = header;
    encoder.encode(it);
    const sharedOffset = it.offset;
    const shared = encoder.sharedBuffer.slice(0, sharedOffset);
    // Nothing of the players is left for Colyseus's per-view walk: their moves go as chunks.
    encoder.discardChanges();
    const tick = ++this.tick;
    this.encodeChunks(tick);

    for (const { member, send } of targets) {
      const t = this.members.get(member)!;
      const view = member.view!;
      const base = view.changes.size > 0 ? encoder.encodeView(view, sharedOffset, it) : shared;
      it.offset = sharedOffset;
      let length = base.length;
      for (const h of t.holds) {
        if (h.chunkTick === tick) length += (h === t ? h.ownChunkEnd : h.chunkEnd) - h.chunkStart;
      }
      // Sent frames are written out later, so each patch gets bytes of its own.
      const patch = Buffer.allocUnsafe(length);
      patch.set(base);
      let offset = base.length;
      for (const h of t.holds) {
        if (h.chunkTick !== tick) continue;
        const end = h === t ? h.ownChunkEnd : h.chunkEnd;
        patch.set(this.chunks.subarray(h.chunkStart, end), offset);
        offset += end - h.chunkStart;
      }
      send(patch);
    }

    for (const t of this.changed) t.moved = t.seqChanged = false;
    this.changed.length = 0;
  }

  /**
   * One chunk per changed player, laid out as Colyseus encodes a change of its fields:
   * the switch to the player's structure, then (ADD | field index) and the value of x
   * and y; the owner's copy runs on into `seq`.
   */
  private encodeChunks(tick: number): void {
    const worst = this.changed.length * 24;
    if (this.chunks.length < worst) this.chunks = new Uint8Array(worst * 2);
    const bytes = this.chunks;
    const it = { offset: 0 };
    for (const t of this.changed) {
      if (!this.members.has(t.member)) continue;
      const player = t.member.player;
      t.chunkTick = tick;
      t.chunkStart = it.offset;
      bytes[it.offset++] = 255; // SWITCH_TO_STRUCTURE
      encode.number(bytes, (player as unknown as Record<symbol, number>)[$refId]!, it);
      if (t.moved) {
        bytes[it.offset++] = OPERATION.ADD | FIELD.x;
        encode.float32(bytes, player.x, it);
        bytes[it.offset++] = OPERATION.ADD | FIELD.y;
        encode.float32(bytes, player.y, it);
      }
      t.chunkEnd = t.moved ? it.offset : t.chunkStart;
      if (t.seqChanged) {
        bytes[it.offset++] = OPERATION.ADD | FIELD.seq;
        encode.uint32(bytes, player.seq, it);
      }
      t.ownChunkEnd = it.offset;
    }
  }

  private show(viewer: Tracked<M>, shown: Tracked<M>) {
    if (viewer.holds.has(shown)) return;
    viewer.holds.add(shown);
    viewer.member.view!.add(shown.member.player);
  }

  private hide(viewer: Tracked<M>, hidden: Tracked<M>) {
    if (!viewer.holds.delete(hidden)) return;
    viewer.member.view!.remove(hidden.member.player);
  }

  /** Moves a member to `cell`; whoever is no longer in a neighbouring cell is past the leave distance. */
  private place(t: Tracked<M>, cell: number) {
    if (cell === t.cell) return;
    if (t.cell >= 0) this.cells[t.cell]!.delete(t);
    this.cells[cell]!.add(t);
    t.cell = cell;
    for (const h of t.holds) {
      if (h !== t && !this.adjacent(h.cell, cell)) {
        this.hide(t, h);
        this.hide(h, t);
      }
    }
  }

  private distanceSq(x: number, y: number, other: Tracked<M>): number {
    const dx = x - other.member.x;
    const dy = y - other.member.y;
    return dx * dx + dy * dy;
  }

  private adjacent(a: number, b: number): boolean {
    return Math.abs((a % this.columns) - (b % this.columns)) <= 1 && Math.abs(Math.floor(a / this.columns) - Math.floor(b / this.columns)) <= 1;
  }

  private cellAt(x: number, y: number): number {
    const cx = Math.min(this.columns - 1, Math.max(0, Math.floor(x / this.cellSize)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor(y / this.cellSize)));
    return cy * this.columns + cx;
  }

}
