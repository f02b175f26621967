import { StateView, type Encoder } from "@colyseus/schema";
import { DELETE_MAX, MOVE_MAX, playerBytes, writeDelete, writeLiveFields, writeMove, writeSeq, type PlayerBytes } from "./player-bytes";
import type { Player } from "./state";

/**
 * Interest management for a zone with WORLD_AOI_RADIUS > 0: each client is shown
 * itself and exactly the players within the radius of it, found through a uniform
 * grid rather than a scan of every pair. A player enters a view at the radius
 * and leaves it only past the radius plus a margin, so one walking along the edge does
 * not flicker in and out (every entry costs its client a full ADD of about 120 bytes).
 *
 * Why patches are assembled here rather than by Colyseus: Colyseus encodes a view by
 * walking every change of the tick and testing each against the view, about 50 µs per
 * view per tick at 1,000 players (docs/performance.md), so a view per client cannot hold 20
 * ticks/s. Here a client's StateView holds only its own player, which is what the full
 * state Colyseus sends on join and on reconnection carries. Everything after that is
 * written here, in the bytes Colyseus would write (player-bytes.ts), so the SDK decodes
 * it as an ordinary patch: a player entering a view is the map entry's ADD followed by
 * all its fields (the fixed ones encoded once when it joins), one leaving is the
 * entry's DELETE, and the movement part of every patch is one small chunk per moved
 * player, encoded once per tick and copied into the patch of each client that holds
 * that player. At 2,000 players StateView's own membership bookkeeping and encodeView
 * were about 40 % of the interest work (docs/performance.md). `seq` only goes to the
 * player's own client, the one that reconciles with it; others hold the value it had
 * when it came into view.
 *
 * A held player in the inner half of the radius is sent on every move; one in the
 * outer half at most every FAR_INTERVAL ticks, and then where it stands now, so a
 * client's copy of a distant player is never more than that many ticks old. The outer
 * half is three quarters of the area, so this nearly halves the bytes of moves.
 *
 * "A's view holds B" is kept symmetric (entering and leaving are decided by distance,
 * which is), so the upkeep of a tick need only look at the pairs with a member that
 * moved or joined: between two that stood still nothing changed. It is
 * laid out for those scans: members have small recycled slots, positions and cells
 * are copied into typed arrays sorted by cell each tick, and "does A's view hold B" is
 * one bit in a matrix.
 */
export interface Member {
  readonly player: Player;
  /** Full-precision position; the state carries it as float32. */
  x: number;
  y: number;
  /** What Colyseus encodes this member's client's full state with: its own player. Set by Interest. */
  view?: StateView;
}

interface Tracked<M> {
  readonly member: M;
  /** Index into the per-slot typed arrays and the bit matrix; reused after the member leaves. */
  readonly slot: number;
  cell: number;
  /**
   * Slots of the members this member's view holds, itself included, and per entry what
   * was sent of it. Slots rather than the members themselves: the per-tick loops then
   * read typed arrays instead of chasing one object per held player.
   */
  holds: number[];
  /** The held player's `posTicks` as its last chunk (or its ADD) carried it; ADD_PENDING until its ADD is sent. */
  sentPos: number[];
  /** Tick of the last chunk of the held player sent to this member; NEVER before the first. */
  sentAt: number[];
  /** Held players whose ADD this member's client has not been sent yet, and those it holds that must be deleted. */
  adds: Tracked<M>[];
  deletes: Tracked<M>[];
  /** Its player's bytes that never change: map entry, fixed fields. */
  readonly bytes: PlayerBytes;
  /** The view was replaced for a new connection: its first full state covers its own player. */
  fresh: boolean;
  /** Changed this tick: position (already counted in `posTicks`) or seq. */
  moved: boolean;
  seqChanged: boolean;
}

/** Beyond the radius by this share of it, a held player is dropped. */
const LEAVE_MARGIN = 0.05;
/** Within this share of the radius a held player is sent on every move. */
const NEAR_SHARE = 0.5;
/** Beyond it, at most every this many ticks. */
export const FAR_INTERVAL = 4;
/** `sentPos` of a held player whose ADD is still to be sent. */
const ADD_PENDING = -1;
/** `sentAt` of a held player no chunk of which was sent yet: its first move goes at once. */
const NEVER = -(2 ** 30);

export interface InterestOptions {
  /** Ticks between updates of a held player in the outer half of the radius; 1 sends every move. */
  farInterval?: number;
}

/** Where a tick's patches go: the room's clients. */
export interface PatchSink<M> {
  /** Whether the member's client is joined and takes patches now. */
  receives(member: M): boolean;
  /** One member's patch: `patch[0, length)`, reused once this returns (a sink that sends later copies it). */
  send(member: M, patch: Buffer, length: number): void;
}

export class Interest<M extends Member> {
  /** Each cell's neighbourhood: itself and the up to eight around it. */
  private readonly neighbours: Int32Array[];
  private readonly members = new Map<M, Tracked<M>>();
  private readonly bySlot: (Tracked<M> | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Members whose position or seq changed this tick. */
  private readonly changed: Tracked<M>[] = [];
  /** Members whose neighbourhood the next `update` looks at (moved or joined), and per slot whether it is among them. */
  private readonly scans: Tracked<M>[] = [];
  private scanning = new Uint8Array(0);
  private readonly cellSize: number;
  private readonly columns: number;
  private readonly rows: number;
  private readonly enterSq: number;
  private readonly leaveSq: number;
  private readonly nearSq: number;
  private readonly farInterval: number;
  private tick = 0;
  /** Row `a` holds bit `b` when a's view holds b; `words` 32-bit words a row. */
  private bits = new Uint32Array(0);
  private words = 0;
  private capacity = 0;
  /** Per slot, refreshed by `update`: position, and the slots sorted by cell (`cellStart[c]` .. `cellStart[c + 1]`). */
  private xs = new Float64Array(0);
  private ys = new Float64Array(0);
  /** Per slot: tick of the last position change (the patch it goes out in). */
  private posTicks = new Int32Array(0);
  /**
   * Per slot: this tick's chunk in the chunk buffer, valid while `chunkTicks` is the
   * current tick; `chunkEnds` ends the position part, and the owner's copy runs on to
   * `ownChunkEnds` with `seq`.
   */
  private chunkTicks = new Int32Array(0);
  private chunkStarts = new Int32Array(0);
  private chunkEnds = new Int32Array(0);
  private ownChunkEnds = new Int32Array(0);
  private byCell = new Int32Array(0);
  private readonly cellStart: Int32Array;
  /** The next free place of each cell while sorting. */
  private readonly cellFill: Int32Array;
  /** Scratch space for the chunks of one tick, and for the patch being assembled. */
  private chunks = new Uint8Array(64 * 1024);
  private patch = Buffer.allocUnsafeSlow(64 * 1024);
  private chunkOffset = 0;
  private readonly chunkIt = { offset: 0 };
  private readonly patchIt = { offset: 0 };
  /** The switch to the zone's map of players, which every membership change starts with. */
  private mapSwitch?: Uint8Array;

  constructor(radius: number, width: number, height: number, options: InterestOptions = {}) {
    const leave = radius * (1 + LEAVE_MARGIN);
    // Cells as wide as the leave distance: everything a member may hold lies in its cell or the eight around it.
    this.cellSize = leave;
    this.columns = Math.floor(width / leave) + 1;
    this.rows = Math.floor(height / leave) + 1;
    this.enterSq = radius * radius;
    this.leaveSq = leave * leave;
    this.nearSq = (radius * NEAR_SHARE) ** 2;
    this.farInterval = Math.max(1, options.farInterval ?? FAR_INTERVAL);
    const cells = this.columns * this.rows;
    this.cellStart = new Int32Array(cells + 1);
    this.cellFill = new Int32Array(cells);
    this.neighbours = Array.from({ length: cells }, (_, cell) => {
      const cx = cell % this.columns;
      const cy = Math.floor(cell / this.columns);
      const around: number[] = [];
      for (let y = Math.max(0, cy - 1); y <= Math.min(this.rows - 1, cy + 1); y++) {
        for (let x = Math.max(0, cx - 1); x <= Math.min(this.columns - 1, cx + 1); x++) around.push(y * this.columns + x);
      }
      return Int32Array.from(around);
    });
  }

  /** A member arrives: its view starts with itself; the next `update` brings its neighbours. */
  join(member: M): void {
    const bytes = playerBytes(member.player);
    this.mapSwitch ??= bytes.mapSwitch;
    const t: Tracked<M> = {
      member,
      slot: this.takeSlot(),
      cell: -1,
      holds: [],
      sentPos: [],
      sentAt: [],
      adds: [],
      deletes: [],
      bytes,
      fresh: true,
      moved: false,
      seqChanged: false,
    };
    this.posTicks[t.slot] = this.tick;
    this.chunkTicks[t.slot] = -1;
    this.members.set(member, t);
    this.bySlot[t.slot] = t;
    this.setBit(t, t.slot);
    t.holds.push(t.slot);
    t.sentPos.push(this.posTicks[t.slot]!);
    t.sentAt.push(NEVER);
    this.place(t, this.cellAt(member.x, member.y));
    this.rescan(t);
    this.reset(member);
  }

  /**
   * The member's client starts over (reconnection, a second login): a new view whose
   * full state carries only its own player, and in the next patch an ADD of every
   * other player the member holds. Who holds whom does not change.
   */
  reset(member: M): void {
    const t = this.members.get(member)!;
    member.view?.dispose();
    member.view = new StateView();
    member.view.add(member.player);
    t.fresh = true;
    // The DELETEs the old connection was owed name nothing the new client has: bytes for nothing.
    t.adds.length = t.deletes.length = 0;
    const { holds, sentPos, sentAt } = t;
    for (let i = 0; i < holds.length; i++) {
      sentAt[i] = NEVER;
      if (holds[i] === t.slot) {
        sentPos[i] = this.posTicks[t.slot]!;
        continue;
      }
      sentPos[i] = ADD_PENDING;
      t.adds.push(this.bySlot[holds[i]!]!);
    }
  }

  leave(member: M): void {
    const t = this.members.get(member);
    if (!t) return;
    // Those it holds are those that hold it.
    for (const hs of t.holds) {
      this.clearBit(t, hs);
      if (hs !== t.slot) this.hide(this.bySlot[hs]!, t);
    }
    if (this.scanning[t.slot]) {
      this.scanning[t.slot] = 0;
      removeAt(this.scans, this.scans.indexOf(t));
    }
    member.view?.dispose();
    this.members.delete(member);
    this.bySlot[t.slot] = undefined;
    this.freeSlots.push(t.slot);
  }

  /** The member's position (`x`, `y`, already set) or its `seq` changed this tick. */
  moved(member: M, positionChanged: boolean, seqChanged: boolean): void {
    const t = this.members.get(member)!;
    if (!t.moved && !t.seqChanged) this.changed.push(t);
    t.moved ||= positionChanged;
    t.seqChanged ||= seqChanged;
    if (positionChanged) {
      // The patch this tick's changes go out in.
      this.posTicks[t.slot] = this.tick + 1;
      this.place(t, this.cellAt(member.x, member.y));
      this.rescan(t);
    }
  }

  /**
   * Start of a patch: views of clients that received their full state since the last
   * patch drop the ADD of their own player that state already carried; then each
   * member that moved or joined since the last update and whoever it holds let go of
   * each other past the leave distance, and it and each member in the cells around it
   * show each other within the radius (a pair of two such members is looked at once).
   */
  update(isJoined: (member: M) => boolean): void {
    for (const t of this.members.values()) {
      if (t.fresh && isJoined(t.member)) {
        t.member.view!.changes.clear();
        t.fresh = false;
      }
    }
    this.sortByCell();
    const { xs, ys, byCell, cellStart, bits, words, bySlot, enterSq, leaveSq, scanning } = this;
    for (const a of this.scans) {
      const as = a.slot;
      const x = xs[as]!;
      const y = ys[as]!;
      const holds = a.holds;
      // Backwards: hiding swaps the last entry into the place of the one removed.
      for (let i = holds.length - 1; i >= 0; i--) {
        const hs = holds[i]!;
        if (hs === as) continue;
        const dx = x - xs[hs]!;
        const dy = y - ys[hs]!;
        if (dx * dx + dy * dy > leaveSq) this.part(a, bySlot[hs]!, i);
      }
      const row = as * words;
      for (const cell of this.neighbours[a.cell]!) {
        for (let k = cellStart[cell]!, end = cellStart[cell + 1]!; k < end; k++) {
          const bs = byCell[k]!;
          if (bs === as || (bs < as && scanning[bs] === 1)) continue;
          const dx = x - xs[bs]!;
          const dy = y - ys[bs]!;
          if (dx * dx + dy * dy > enterSq) continue;
          // Holding is symmetric: one bit answers for both views.
          if ((bits[row + (bs >>> 5)]! & (1 << (bs & 31))) !== 0) continue;
          const b = bySlot[bs]!;
          this.show(a, b);
          this.show(b, a);
        }
      }
    }
    for (const a of this.scans) scanning[a.slot] = 0;
    this.scans.length = 0;
  }

  /**
   * Sends this tick's patch to every member whose client takes it: the shared part (root
   * fields), the membership changes of its view (the map's DELETEs and ADDs, then the
   * fields of each player added), then a chunk for each player it holds whose position it
   * is due (every move near, at most every `farInterval` ticks far), and its own. Reads
   * positions as `update` copied them, so it runs right after it.
   */
  sendPatches(encoder: Encoder, header: number, sink: PatchSink<M>): void {
    const it = { offset: 1 };
    encoder.sharedBuffer[0] = header;
    encoder.encode(it);
    const sharedOffset = it.offset;
    const shared = encoder.sharedBuffer.slice(0, sharedOffset);
    // Nothing of the players is left for Colyseus's per-view walk: their moves go as chunks.
    encoder.discardChanges();
    const tick = ++this.tick;
    this.startChunks();
    const { nearSq, farInterval, xs, ys, posTicks, chunkTicks, chunkStarts, chunkEnds, ownChunkEnds, bySlot } = this;
    const chunks = this.chunks;
    const pit = this.patchIt;
    for (const t of this.members.values()) {
      const member = t.member;
      if (!sink.receives(member)) continue;
      // Only its own player's ADD, when a new view's full state did not carry it.
      const base = t.fresh && member.view!.changes.size > 0 ? encoder.encodeView(member.view!, sharedOffset, it) : shared;
      it.offset = sharedOffset;
      const { holds, sentPos, sentAt, adds, deletes } = t;
      const own = t.slot;
      const patch = this.patchFor(base.length + holds.length * MOVE_MAX + this.membershipBytes(t));
      patch.set(base);
      let offset = base.length;
      if (adds.length > 0 || deletes.length > 0) {
        patch.set(this.mapSwitch!, offset);
        pit.offset = offset + this.mapSwitch!.length;
        for (const d of deletes) writeDelete(patch, d.bytes.mapIndex, pit);
        for (const a of adds) {
          patch.set(a.bytes.entry, pit.offset);
          pit.offset += a.bytes.entry.length;
        }
        offset = pit.offset;
        deletes.length = 0;
      }
      const x = xs[own]!;
      const y = ys[own]!;
      for (let i = 0; i < holds.length; i++) {
        const hs = holds[i]!;
        if (sentPos[i] === ADD_PENDING) {
          // Entered this view: all its fields, where it stands now.
          const h = bySlot[hs]!;
          patch.set(h.bytes.fixedFields, offset);
          pit.offset = offset + h.bytes.fixedFields.length;
          writeLiveFields(patch, h.member.player, pit);
          offset = pit.offset;
          sentPos[i] = posTicks[hs]!;
          continue;
        }
        let end: number;
        if (hs === own) {
          if (!t.moved && !t.seqChanged) continue;
          if (chunkTicks[hs] !== tick) this.chunkOf(t, tick);
          end = ownChunkEnds[hs]!;
        } else {
          const posTick = posTicks[hs]!;
          if (posTick <= sentPos[i]!) continue;
          if (tick - sentAt[i]! < farInterval) {
            const dx = x - xs[hs]!;
            const dy = y - ys[hs]!;
            if (dx * dx + dy * dy > nearSq) continue;
          }
          if (chunkTicks[hs] !== tick) this.chunkOf(bySlot[hs]!, tick);
          end = chunkEnds[hs]!;
          sentPos[i] = posTick;
          sentAt[i] = tick;
        }
        for (let k = chunkStarts[hs]!; k < end; k++) patch[offset++] = chunks[k]!;
      }
      adds.length = 0;
      sink.send(member, patch, offset);
    }

    for (const t of this.changed) t.moved = t.seqChanged = false;
    this.changed.length = 0;
  }

  /** The assembly buffer, at least `needed` bytes long. */
  private patchFor(needed: number): Buffer {
    if (this.patch.length < needed) this.patch = Buffer.allocUnsafeSlow(needed * 2);
    return this.patch;
  }

  /** The most bytes the member's pending membership changes take: map switch, DELETEs, ADDs and the added players' fields. */
  private membershipBytes(t: Tracked<M>): number {
    if (t.adds.length === 0 && t.deletes.length === 0) return 0;
    let bytes = this.mapSwitch!.length + t.deletes.length * DELETE_MAX;
    for (const a of t.adds) bytes += a.bytes.entry.length + a.bytes.fixedFields.length + MOVE_MAX;
    return bytes;
  }

  private startChunks(): void {
    const worst = this.members.size * MOVE_MAX;
    if (this.chunks.length < worst) this.chunks = new Uint8Array(worst * 2);
    this.chunkOffset = 0;
  }

  /** The player's move of this tick, encoded on first use; the owner's copy runs on into `seq` when it changed. */
  private chunkOf(t: Tracked<M>, tick: number): void {
    const bytes = this.chunks;
    const it = this.chunkIt;
    it.offset = this.chunkOffset;
    const player = t.member.player;
    const slot = t.slot;
    this.chunkTicks[slot] = tick;
    this.chunkStarts[slot] = it.offset;
    writeMove(bytes, player, it);
    this.chunkEnds[slot] = it.offset;
    if (t.seqChanged) writeSeq(bytes, player, it);
    this.ownChunkEnds[slot] = it.offset;
    this.chunkOffset = it.offset;
  }

  private show(viewer: Tracked<M>, shown: Tracked<M>) {
    if (!this.setBit(viewer, shown.slot)) return;
    viewer.holds.push(shown.slot);
    // Its ADD carries where it stands now; the first move after goes out at once.
    viewer.sentPos.push(ADD_PENDING);
    viewer.sentAt.push(NEVER);
    // Back before its DELETE went out: the client still holds it, and the ADD refreshes its fields.
    const deleted = viewer.deletes.indexOf(shown);
    if (deleted >= 0) removeAt(viewer.deletes, deleted);
    viewer.adds.push(shown);
  }

  private hide(viewer: Tracked<M>, hidden: Tracked<M>) {
    const index = viewer.slot * this.words + (hidden.slot >>> 5);
    const bit = 1 << (hidden.slot & 31);
    if ((this.bits[index]! & bit) === 0) return;
    this.hideAt(viewer, hidden, viewer.holds.indexOf(hidden.slot));
  }

  /** The member and the one it holds at `holds[i]` stop holding each other: holding stays symmetric. */
  private part(t: Tracked<M>, held: Tracked<M>, i: number) {
    this.hideAt(t, held, i);
    this.hide(held, t);
  }

  /** Hides the player the viewer holds at `holds[i]`. */
  private hideAt(viewer: Tracked<M>, hidden: Tracked<M>, i: number) {
    this.clearBit(viewer, hidden.slot);
    const added = viewer.sentPos[i] !== ADD_PENDING;
    const last = viewer.holds.length - 1;
    viewer.holds[i] = viewer.holds[last]!;
    viewer.sentPos[i] = viewer.sentPos[last]!;
    viewer.sentAt[i] = viewer.sentAt[last]!;
    viewer.holds.length = viewer.sentPos.length = viewer.sentAt.length = last;
    // One whose ADD never went out leaves nothing behind on the client.
    if (added) viewer.deletes.push(hidden);
    else removeAt(viewer.adds, viewer.adds.indexOf(hidden));
  }

  /** Marks the member in slot `held` as held by `viewer`; false when it already was. */
  private setBit(viewer: Tracked<M>, held: number): boolean {
    const index = viewer.slot * this.words + (held >>> 5);
    const bit = 1 << (held & 31);
    if (this.bits[index]! & bit) return false;
    this.bits[index]! |= bit;
    return true;
  }

  private clearBit(viewer: Tracked<M>, held: number) {
    this.bits[viewer.slot * this.words + (held >>> 5)]! &= ~(1 << (held & 31));
  }

  /** Has the next `update` look at the member's neighbourhood. */
  private rescan(t: Tracked<M>): void {
    if (this.scanning[t.slot] === 1) return;
    this.scanning[t.slot] = 1;
    this.scans.push(t);
  }

  /** Moves a member to `cell`; whoever is no longer in a neighbouring cell is past the leave distance. */
  private place(t: Tracked<M>, cell: number) {
    if (cell === t.cell) return;
    t.cell = cell;
    for (let i = t.holds.length - 1; i >= 0; i--) {
      const h = this.bySlot[t.holds[i]!]!;
      if (h !== t && !this.adjacent(h.cell, cell)) this.part(t, h, i);
    }
  }

  /** Copies positions into the typed arrays and sorts the slots by cell (a counting sort). */
  private sortByCell(): void {
    const { cellStart, cellFill, xs, ys, byCell } = this;
    cellStart.fill(0);
    for (const t of this.members.values()) {
      xs[t.slot] = t.member.x;
      ys[t.slot] = t.member.y;
      cellStart[t.cell + 1]!++;
    }
    for (let c = 1; c < cellStart.length; c++) cellStart[c]! += cellStart[c - 1]!;
    cellFill.set(cellStart.subarray(0, cellFill.length));
    for (const t of this.members.values()) byCell[cellFill[t.cell]!++] = t.slot;
  }

  private takeSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.bySlot.length;
    if (slot >= this.capacity) this.grow(Math.max(64, this.capacity * 2));
    return slot;
  }

  /** Room for `capacity` slots: the bit matrix is copied row by row into its wider self. */
  private grow(capacity: number): void {
    const words = Math.ceil(capacity / 32);
    const bits = new Uint32Array(capacity * words);
    for (let row = 0; row < this.capacity; row++) bits.set(this.bits.subarray(row * this.words, (row + 1) * this.words), row * words);
    this.bits = bits;
    this.words = words;
    this.capacity = capacity;
    this.xs = widened(this.xs, capacity);
    this.ys = widened(this.ys, capacity);
    this.posTicks = widened(this.posTicks, capacity);
    this.chunkTicks = widened(this.chunkTicks, capacity);
    this.chunkStarts = widened(this.chunkStarts, capacity);
    this.chunkEnds = widened(this.chunkEnds, capacity);
    this.ownChunkEnds = widened(this.ownChunkEnds, capacity);
    this.scanning = widened(this.scanning, capacity);
    this.byCell = new Int32Array(capacity);
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

/** Removes `list[i]`, moving the last entry into its place (order does not matter). */
function removeAt<T>(list: T[], i: number): void {
  list[i] = list[list.length - 1]!;
  list.length--;
}

/** A copy of `array` with room for `length` entries. */
function widened<A extends Float64Array | Int32Array | Uint8Array>(array: A, length: number): A {
  const wider = new (array.constructor as new (length: number) => A)(length);
  wider.set(array);
  return wider;
}
