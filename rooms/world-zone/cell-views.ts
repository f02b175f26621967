import { StateView } from "@colyseus/schema";
import type { Player } from "./state";
import { CellGeometry } from "./grid";

/**
 * Interest management with one StateView per grid cell, shared by every client
 * standing in that cell: Colyseus encodes each distinct view once per patch, so the
 * encode cost follows the number of occupied cells, not of clients. A cell's
 * view holds the players of the 3 × 3 cells around it (cells as wide as the radius,
 * so everyone within the radius is in it).
 *
 * The catch is a client that changes cell: the new cell's view already sent its ADDs
 * to its own clients, and the old players would never be removed. Such a client gets
 * a personal view for a while instead, seeded with exactly what its client already
 * holds (the old cell's view as of the last patch), then brought to the new cell's
 * players at the end of each tick. Once a patch has flushed it, personal and shared
 * views hold the same players with nothing pending, and the client moves onto the
 * shared one. A joining (or reconnecting) client starts the same way from nothing,
 * its full state coming from the personal view.
 */
export interface Watcher {
  readonly player: Player;
  /** Where the member stands; owned by CellViews. */
  cell: number;
  /** Set while the member's client is on a personal view. */
  personal?: PersonalView;
}

interface PersonalView {
  view: StateView;
  /** Players this view holds, pending or sent. */
  holds: Set<Player>;
  /** Its client was joined when the last patch went out, so that patch drained it. */
  flushed: boolean;
}

interface CellView {
  view: StateView;
  holds: Set<Player>;
  /** What the view's clients hold: `holds` as of the last patch. */
  sent: Set<Player>;
}

export class CellViews<M extends Watcher> {
  private readonly members = new Map<number, Set<M>>();
  private readonly views = new Map<number, CellView>();
  /** Views changed since the last patch. */
  private readonly dirty = new Set<CellView>();
  private readonly transitional = new Set<M>();
  private readonly geometry: CellGeometry;

  constructor(
    cellSize: number,
    width: number,
    height: number,
    /** Points the member's client at `view`. */
    private readonly assign: (member: M, view: StateView) => void,
  ) {
    this.geometry = new CellGeometry(cellSize, width, height);
    // Every cell keeps its view for the zone's life: nothing to seed when a cell fills,
    // and a view without clients is never encoded, so an empty cell costs only its upkeep.
    for (let cell = 0; cell < this.geometry.count; cell++) {
      this.views.set(cell, { view: new StateView(), holds: new Set(), sent: new Set() });
    }
  }

  /** A new member, or a member whose client starts over (reconnection, a second login). */
  join(member: M, x: number, y: number, isNew: boolean): void {
    if (isNew) {
      member.cell = this.cellAt(x, y);
      this.enter(member, member.cell);
    } else {
      this.dropPersonal(member);
    }
    this.startPersonal(member, new Set());
    this.syncPersonal(member);
  }

  leave(member: M): void {
    this.dropPersonal(member);
    this.exit(member, member.cell);
    for (const other of this.transitional) {
      const personal = other.personal!;
      if (personal.holds.delete(member.player)) personal.view.remove(member.player);
    }
  }

  move(member: M, x: number, y: number): void {
    const to = this.cellAt(x, y);
    if (to === member.cell) return;
    // What the client holds now: the old shared view as of the last patch.
    if (!member.personal) this.startPersonal(member, new Set(this.views.get(member.cell)!.sent));
    this.exit(member, member.cell);
    member.cell = to;
    this.enter(member, to);
  }

  /** Start of a tick: clients whose personal view was flushed by the last patch move onto their cell's view. */
  promote(): void {
    for (const member of this.transitional) {
      const personal = member.personal!;
      if (!personal.flushed) continue;
      this.assign(member, this.views.get(member.cell)!.view);
      this.dropPersonal(member);
    }
  }

  /**
   * Just before the patch: personal views catch up with their cell. `isJoined` tells
   * whether a member's client will receive this patch.
   */
  beforePatch(isJoined: (member: M) => boolean): void {
    for (const member of this.transitional) {
      this.syncPersonal(member);
      member.personal!.flushed = isJoined(member);
    }
  }

  /**
   * Just after the patch: a view no joined client used still holds its pending
   * changes, which nobody will ever need (a client arriving gets them through its
   * personal view), so every cell view starts the next tick clean.
   */
  afterPatch(): void {
    for (const cell of this.dirty) {
      cell.view.changes.clear();
      cell.sent = new Set(cell.holds);
    }
    this.dirty.clear();
  }

  dispose(): void {
    for (const member of this.transitional) this.dropPersonal(member);
    for (const cell of this.views.values()) cell.view.dispose();
    this.views.clear();
  }

  private enter(member: M, cell: number) {
    let set = this.members.get(cell);
    if (!set) this.members.set(cell, (set = new Set()));
    set.add(member);
    for (const c of this.around(cell)) {
      const view = this.views.get(c);
      if (view) this.show(view, member.player);
    }
  }

  private exit(member: M, cell: number) {
    const set = this.members.get(cell)!;
    set.delete(member);
    for (const c of this.around(cell)) {
      const view = this.views.get(c);
      if (view && view.holds.delete(member.player)) {
        view.view.remove(member.player);
        this.dirty.add(view);
      }
    }
    if (set.size === 0) this.members.delete(cell);
  }

  private show(view: CellView, player: Player) {
    if (view.holds.has(player)) return;
    view.holds.add(player);
    view.view.add(player);
    this.dirty.add(view);
  }

  private startPersonal(member: M, holds: Set<Player>) {
    const view = new StateView();
    for (const player of holds) view.add(player);
    // The client already has these: nothing of them is to be sent again.
    view.changes.clear();
    member.personal = { view, holds, flushed: false };
    this.transitional.add(member);
    this.assign(member, view);
  }

  private syncPersonal(member: M) {
    const personal = member.personal!;
    const target = this.views.get(member.cell)!.holds;
    for (const player of personal.holds) {
      if (target.has(player)) continue;
      personal.holds.delete(player);
      personal.view.remove(player);
    }
    for (const player of target) {
      if (personal.holds.has(player)) continue;
      personal.holds.add(player);
      personal.view.add(player);
    }
  }

  private dropPersonal(member: M) {
    if (!member.personal) return;
    member.personal.view.dispose();
    member.personal = undefined;
    this.transitional.delete(member);
  }

  private cellAt(x: number, y: number): number {
    return this.geometry.cellAt(x, y);
  }

  private around(cell: number): Iterable<number> {
    return this.geometry.around(cell);
  }
}
