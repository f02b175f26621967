/**
 * The bare reference's spatial grid (the naive design the product is measured
 * against): cells as wide as the interest radius, so everything within the radius
 * of a member lies in its cell or one of the eight around it. The grid tells its owner which pairs of members come into or go
 * out of range; it knows nothing about views or clients.
 */
export interface RangeListener<K> {
  /** `a` and `b` (never equal) are now within range of each other. */
  enter(a: K, b: K): void;
  /** `a` and `b` are no longer within range of each other. */
  leave(a: K, b: K): void;
}

/**
 * The cells of a zone: squares of `cellSize` (the interest radius), so everything
 * within the radius of a point lies in its cell or one of the eight around it.
 */
export class CellGeometry {
  readonly columns: number;
  readonly rows: number;

  constructor(
    readonly cellSize: number,
    width: number,
    height: number,
  ) {
    this.columns = Math.floor(width / cellSize) + 1;
    this.rows = Math.floor(height / cellSize) + 1;
  }

  get count(): number {
    return this.columns * this.rows;
  }

  cellAt(x: number, y: number): number {
    const cx = Math.min(this.columns - 1, Math.max(0, Math.floor(x / this.cellSize)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor(y / this.cellSize)));
    return cy * this.columns + cx;
  }

  /** The cell and its (up to) eight neighbours. */
  *around(cell: number): Iterable<number> {
    const cx = cell % this.columns;
    const cy = Math.floor(cell / this.columns);
    for (let y = Math.max(0, cy - 1); y <= Math.min(this.rows - 1, cy + 1); y++) {
      for (let x = Math.max(0, cx - 1); x <= Math.min(this.columns - 1, cx + 1); x++) yield y * this.columns + x;
    }
  }
}

export class InterestGrid<K> {
  private readonly cells = new Map<number, Set<K>>();
  private readonly cellOf = new Map<K, number>();
  private readonly geometry: CellGeometry;

  constructor(
    cellSize: number,
    width: number,
    height: number,
    private readonly listener: RangeListener<K>,
  ) {
    this.geometry = new CellGeometry(cellSize, width, height);
  }

  insert(member: K, x: number, y: number): void {
    const cell = this.cellAt(x, y);
    this.place(member, cell);
    for (const other of this.membersAround(cell)) if (other !== member) this.listener.enter(member, other);
  }

  remove(member: K): void {
    const cell = this.cellOf.get(member);
    if (cell === undefined) return;
    this.leaveCell(member, cell);
    this.cellOf.delete(member);
    for (const other of this.membersAround(cell)) this.listener.leave(member, other);
  }

  /** Cheap when the member stays in its cell, which is most ticks for most members. */
  move(member: K, x: number, y: number): void {
    const from = this.cellOf.get(member);
    const to = this.cellAt(x, y);
    if (from === undefined || from === to) return;
    this.leaveCell(member, from);
    this.place(member, to);
    const before = new Set(this.around(from));
    const after = new Set(this.around(to));
    for (const cell of before) {
      if (after.has(cell)) continue;
      for (const other of this.cells.get(cell) ?? []) this.listener.leave(member, other);
    }
    for (const cell of after) {
      if (before.has(cell)) continue;
      for (const other of this.cells.get(cell) ?? []) if (other !== member) this.listener.enter(member, other);
    }
  }

  private place(member: K, cell: number) {
    let set = this.cells.get(cell);
    if (!set) this.cells.set(cell, (set = new Set()));
    set.add(member);
    this.cellOf.set(member, cell);
  }

  private leaveCell(member: K, cell: number) {
    const set = this.cells.get(cell)!;
    set.delete(member);
    if (set.size === 0) this.cells.delete(cell);
  }

  private cellAt(x: number, y: number): number {
    return this.geometry.cellAt(x, y);
  }

  private around(cell: number): Iterable<number> {
    return this.geometry.around(cell);
  }

  private *membersAround(cell: number): Iterable<K> {
    for (const c of this.around(cell)) yield* this.cells.get(c) ?? [];
  }
}
