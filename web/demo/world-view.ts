import { el } from "./dom";
import type { World } from "./world";
import type { PlayerModel } from "./world-model";

/** Others are drawn this many patch intervals in the past, so there is always a patch on each side. */
const INTERPOLATION_INTERVALS = 2;
/** Time constant with which the drawn self follows its prediction, hiding reconciliation jumps. */
const SELF_SMOOTHING_MS = 30;
const RADIUS = 7;
const GRID = 100;
/** Room around the zone for names and speech above players standing at its edge. */
const MARGIN = 50;

const round = (v: number) => String(Math.round(v * 100) / 100);

function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 360;
}

/**
 * The zone on a canvas, redrawn every animation frame, and the same players as a DOM
 * list (`data-character-id`, `data-x`, `data-y`: the server's position, kept current),
 * which is what screen readers and tests read.
 */
export class WorldView {
  private readonly items = new Map<string, HTMLLIElement>();
  private frame = 0;
  private lastFrame = 0;
  private shownSelf?: { x: number; y: number };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly list: HTMLUListElement,
    private readonly world: World,
  ) {}

  start(): void {
    const loop = (now: number) => {
      this.draw(now);
      this.frame = requestAnimationFrame(loop);
    };
    this.frame = requestAnimationFrame(loop);
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
    this.clear();
  }

  clear(): void {
    this.items.clear();
    this.list.replaceChildren();
    this.shownSelf = undefined;
  }

  added(player: PlayerModel): void {
    const self = player.id === this.world.characterId;
    const item = el("li", { "data-character-id": player.id, ...(self ? { "data-self": "true" } : {}) });
    this.items.set(player.id, item);
    if (self) this.list.prepend(item);
    else this.list.append(item);
    this.changed(player);
  }

  changed(player: PlayerModel): void {
    const item = this.items.get(player.id);
    if (!item) return;
    const x = round(player.x);
    const y = round(player.y);
    if (item.dataset.x === x && item.dataset.y === y && item.dataset.name === player.name) return;
    item.dataset.x = x;
    item.dataset.y = y;
    item.dataset.name = player.name;
    const self = player.id === this.world.characterId ? " (you)" : "";
    item.textContent = `${player.name}${self} at ${Math.round(player.x)}, ${Math.round(player.y)}`;
  }

  removed(id: string): void {
    this.items.get(id)?.remove();
    this.items.delete(id);
  }

  private draw(now: number): void {
    const dt = this.lastFrame ? now - this.lastFrame : 0;
    this.lastFrame = now;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
    }
    const { bounds } = this.world;
    const scale = Math.min((width - 2 * MARGIN) / bounds.width, (height - 2 * MARGIN) / bounds.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#1d2027";
    ctx.fillRect(0, 0, width, height);
    ctx.translate(MARGIN, MARGIN);
    ctx.fillStyle = "#2a3a2c";
    ctx.fillRect(0, 0, bounds.width * scale, bounds.height * scale);
    ctx.strokeStyle = "rgba(255,255,255,0.07)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let gx = GRID; gx < bounds.width; gx += GRID) {
      ctx.moveTo(gx * scale + 0.5, 0);
      ctx.lineTo(gx * scale + 0.5, bounds.height * scale);
    }
    for (let gy = GRID; gy < bounds.height; gy += GRID) {
      ctx.moveTo(0, gy * scale + 0.5);
      ctx.lineTo(bounds.width * scale, gy * scale + 0.5);
    }
    ctx.stroke();

    const renderTime = now - (INTERPOLATION_INTERVALS * 1000) / this.world.tickRate;
    for (const player of this.world.players.values()) {
      if (player.id === this.world.characterId) continue;
      const at = player.positionAt(renderTime);
      this.drawPlayer(ctx, player, at.x * scale, at.y * scale, `hsl(${hueOf(player.id)} 65% 62%)`, now);
    }
    const self = this.world.self;
    if (self) {
      const target = this.world.prediction ?? self;
      this.shownSelf = this.follow(target, dt);
      this.drawPlayer(ctx, self, this.shownSelf.x * scale, this.shownSelf.y * scale, "#f4c542", now, true);
    }
  }

  /** The drawn self eases towards its predicted position; a jump (rejoin, takeover) is taken at once. */
  private follow(target: { x: number; y: number }, dt: number): { x: number; y: number } {
    const shown = this.shownSelf;
    if (!shown || Math.hypot(target.x - shown.x, target.y - shown.y) > 50) return { x: target.x, y: target.y };
    const k = 1 - Math.exp(-dt / SELF_SMOOTHING_MS);
    return { x: shown.x + (target.x - shown.x) * k, y: shown.y + (target.y - shown.y) * k };
  }

  private drawPlayer(ctx: CanvasRenderingContext2D, player: PlayerModel, x: number, y: number, color: string, now: number, self = false): void {
    ctx.beginPath();
    ctx.arc(x, y, RADIUS, 0, Math.PI * 2);
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineWidth = self ? 2.5 : 1.5;
    ctx.strokeStyle = self ? "#ffffff" : "rgba(0,0,0,0.6)";
    ctx.stroke();

    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(0,0,0,0.75)";
    ctx.strokeText(player.name, x, y - RADIUS - 3);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(player.name, x, y - RADIUS - 3);

    if (player.said && player.said.until > now) this.drawBubble(ctx, player.said.text, x, y - RADIUS - 18);
  }

  private drawBubble(ctx: CanvasRenderingContext2D, text: string, x: number, bottom: number): void {
    const shown = text.length > 48 ? `${text.slice(0, 47)}…` : text;
    ctx.font = "13px system-ui, sans-serif";
    const w = ctx.measureText(shown).width + 14;
    const h = 22;
    const left = Math.max(2 - MARGIN, Math.min(this.canvas.clientWidth - MARGIN - w - 2, x - w / 2));
    const top = Math.max(2 - MARGIN, bottom - h);
    ctx.fillStyle = "rgba(255,255,255,0.95)";
    ctx.beginPath();
    ctx.roundRect(left, top, w, h, 8);
    ctx.fill();
    ctx.fillStyle = "#1d2027";
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(shown, left + 7, top + h / 2 + 1);
  }
}
