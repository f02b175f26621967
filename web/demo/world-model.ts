/**
 * What the page knows of the zone, apart from the network: where the server says each
 * player is, where this page predicts its own player to be, and where to draw the
 * others between two patches.
 */

export interface Bounds {
  width: number;
  height: number;
}

interface Snapshot {
  /** performance.now() when the patch arrived. */
  t: number;
  x: number;
  y: number;
}

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));

/** Snapshots kept per player: a second of history at 20 Hz is plenty for a 100 ms delay. */
const MAX_SNAPSHOTS = 30;

/** Another player (or this one, as the server has it), with the positions it was patched to. */
export class PlayerModel {
  x: number;
  y: number;
  said?: { text: string; until: number };
  private readonly snapshots: Snapshot[];

  constructor(
    readonly id: string,
    public name: string,
    x: number,
    y: number,
    now: number,
  ) {
    this.x = x;
    this.y = y;
    this.snapshots = [{ t: now, x, y }];
  }

  /** A patch moved the player. After a pause, the previous position is re-stamped one interval back, so the move is drawn over one interval instead of jumped. */
  moved(x: number, y: number, now: number, intervalMs: number): void {
    const last = this.snapshots.at(-1)!;
    if (now - last.t > 2 * intervalMs) this.snapshots.push({ t: now - intervalMs, x: last.x, y: last.y });
    this.snapshots.push({ t: now, x, y });
    if (this.snapshots.length > MAX_SNAPSHOTS) this.snapshots.splice(0, this.snapshots.length - MAX_SNAPSHOTS);
    this.x = x;
    this.y = y;
  }

  /** Where to draw the player at `renderTime`: between the two patches around it, never past the newest. */
  positionAt(renderTime: number): { x: number; y: number } {
    const s = this.snapshots;
    let i = s.findIndex((snapshot) => snapshot.t > renderTime);
    if (i === -1) i = s.length;
    const after = s[i];
    const before = s[i - 1];
    if (!before) return { x: after!.x, y: after!.y };
    if (!after) return { x: before.x, y: before.y };
    const f = (renderTime - before.t) / (after.t - before.t);
    return { x: before.x + (after.x - before.x) * f, y: before.y + (after.y - before.y) * f };
  }
}

interface Input {
  seq: number;
  dx: number;
  dy: number;
  sentAt: number;
}

/** An input the server has not echoed after this long was lost (a drop, a refused message): stop replaying it. */
const INPUT_LIFETIME_MS = 1_000;

/**
 * Client-side prediction: an input moves this page's player at once; the server echoes
 * the `seq` of the last input it applied in `Player.seq`, so the prediction is the
 * server's position plus the inputs it has not applied yet, replayed with the server's
 * own bounds clamp.
 */
export class Prediction {
  x: number;
  y: number;
  private seq: number;
  private pending: Input[] = [];

  constructor(
    private readonly bounds: Bounds,
    serverX: number,
    serverY: number,
    serverSeq: number,
  ) {
    this.x = serverX;
    this.y = serverY;
    // Continue from the server's count: a page that takes over a seat must not send seqs it already echoed.
    this.seq = serverSeq;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Applies a move locally and returns the seq to send it with. */
  input(dx: number, dy: number, now: number): number {
    this.seq = (this.seq + 1) >>> 0;
    this.pending.push({ seq: this.seq, dx, dy, sentAt: now });
    this.x = clamp(this.x + dx, 0, this.bounds.width);
    this.y = clamp(this.y + dy, 0, this.bounds.height);
    return this.seq;
  }

  /** A patch of this page's player: drop the inputs it covers and replay the rest on top of it. */
  reconcile(serverX: number, serverY: number, serverSeq: number, now: number): void {
    this.pending = this.pending.filter((i) => i.seq > serverSeq && now - i.sentAt < INPUT_LIFETIME_MS);
    let x = serverX;
    let y = serverY;
    for (const i of this.pending) {
      x = clamp(x + i.dx, 0, this.bounds.width);
      y = clamp(y + i.dy, 0, this.bounds.height);
    }
    this.x = x;
    this.y = y;
  }
}
