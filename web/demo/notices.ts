import { byId } from "./dom";

type LinkState = "connected" | "reconnecting";

/**
 * What the page tells about its connections: `#connection` (a polite status, with
 * `data-state` for tests) says when a drop is being recovered from and when it was;
 * `#notice` (an alert) says why play stopped and offers the way on.
 */
export class Notices {
  private readonly links = new Map<string, LinkState>();
  private dropped = false;
  private readonly connection = byId("connection");
  private readonly notice = byId("notice");
  private readonly noticeText = byId("notice-text");
  private readonly noticeAction = byId<HTMLButtonElement>("notice-action");
  private action?: () => void;

  constructor() {
    this.noticeAction.addEventListener("click", () => {
      const action = this.action;
      this.hideNotice();
      action?.();
    });
  }

  /** One connection's state; the line reflects them all. */
  link(name: string, state: LinkState): void {
    this.links.set(name, state);
    const reconnecting = [...this.links.values()].includes("reconnecting");
    if (reconnecting) {
      this.dropped = true;
      this.setConnection("reconnecting", "Connection lost: reconnecting…");
    } else {
      this.setConnection("connected", this.dropped ? "Reconnected." : "Connected.");
    }
  }

  forget(name: string): void {
    this.links.delete(name);
    if (this.links.size === 0) {
      this.dropped = false;
      this.setConnection("idle", "");
    }
  }

  show(text: string, action?: { label: string; run: () => void }): void {
    this.noticeText.textContent = text;
    this.action = action?.run;
    this.noticeAction.hidden = !action;
    this.noticeAction.textContent = action?.label ?? "";
    this.notice.hidden = false;
  }

  hideNotice(): void {
    this.notice.hidden = true;
    this.action = undefined;
  }

  private setConnection(state: string, text: string): void {
    this.connection.dataset.state = state;
    this.connection.textContent = text;
  }
}
