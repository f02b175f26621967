import { isTyping } from "./dom";

type Direction = "up" | "down" | "left" | "right";

/** Arrow keys by `key`, WASD by `code` (where the key sits, whatever the keyboard layout). */
function directionOf(e: KeyboardEvent): Direction | undefined {
  switch (e.key) {
    case "ArrowUp":
      return "up";
    case "ArrowDown":
      return "down";
    case "ArrowLeft":
      return "left";
    case "ArrowRight":
      return "right";
  }
  switch (e.code) {
    case "KeyW":
      return "up";
    case "KeyS":
      return "down";
    case "KeyA":
      return "left";
    case "KeyD":
      return "right";
  }
  return undefined;
}

/**
 * The movement keys held down. While any is held, `onStep` is called once per tick
 * (the first at once) with a unit direction; nothing is sent while none is.
 */
export class HeldKeys {
  private readonly held = new Set<Direction>();
  private timer?: ReturnType<typeof setInterval>;
  private intervalMs = 50;
  private readonly listeners: [string, EventListener][] = [];

  constructor(
    private readonly onStep: (dx: number, dy: number) => void,
    private readonly enabled: () => boolean,
  ) {}

  setTickRate(hz: number): void {
    this.intervalMs = 1000 / hz;
  }

  attach(): void {
    this.listen(document, "keydown", (e) => this.press(e as KeyboardEvent, true));
    this.listen(document, "keyup", (e) => this.press(e as KeyboardEvent, false));
    // Keys released while the window was not looking would otherwise stay held.
    this.listen(window, "blur", () => this.releaseAll());
  }

  detach(): void {
    for (const [type, listener] of this.listeners.splice(0)) {
      document.removeEventListener(type, listener);
      window.removeEventListener(type, listener);
    }
    this.releaseAll();
  }

  releaseAll(): void {
    this.held.clear();
    this.update();
  }

  private listen(target: Document | Window, type: string, listener: EventListener): void {
    target.addEventListener(type, listener);
    this.listeners.push([type, listener]);
  }

  private press(e: KeyboardEvent, down: boolean): void {
    const direction = directionOf(e);
    if (!direction || e.ctrlKey || e.metaKey || e.altKey) return;
    if (down && (isTyping(e.target) || !this.enabled())) return;
    e.preventDefault();
    if (down) this.held.add(direction);
    else this.held.delete(direction);
    this.update();
  }

  private direction(): [number, number] {
    const dx = (this.held.has("right") ? 1 : 0) - (this.held.has("left") ? 1 : 0);
    const dy = (this.held.has("down") ? 1 : 0) - (this.held.has("up") ? 1 : 0);
    const length = Math.hypot(dx, dy);
    return length === 0 ? [0, 0] : [dx / length, dy / length];
  }

  private update(): void {
    const [dx, dy] = this.direction();
    if (dx === 0 && dy === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined) return;
    const step = () => {
      const [x, y] = this.direction();
      if (x !== 0 || y !== 0) this.onStep(x, y);
    };
    step();
    this.timer = setInterval(step, this.intervalMs);
  }
}
