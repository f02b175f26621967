import { el, trimList } from "./dom";
import type { Said } from "./world";

const MAX_LINES = 200;

/** The zone's chat: the "Say" form sends `say`; every `said` (ours included, as the room echoes it) goes to the log. */
export class Chat {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly log: HTMLOListElement,
    private readonly form: HTMLFormElement,
    private readonly input: HTMLInputElement,
  ) {}

  attach(send: (text: string) => boolean): void {
    const onSubmit = (e: Event) => {
      e.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      if (send(text)) this.input.value = "";
      else this.note("Not connected: the line was not sent.");
    };
    this.form.addEventListener("submit", onSubmit);
    this.listeners.push(() => this.form.removeEventListener("submit", onSubmit));
  }

  detach(): void {
    for (const undo of this.listeners.splice(0)) undo();
    this.log.replaceChildren();
  }

  said(said: Said): void {
    const time = new Date(said.at);
    const item = el("li", { "data-character-id": said.character_id });
    item.append(
      el("time", { datetime: said.at }, Number.isNaN(time.getTime()) ? "" : time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
      " ",
      el("strong", {}, said.name),
      " ",
      el("span", { class: "text" }, said.text),
    );
    this.add(item);
  }

  /** A line from the page itself (connection changes, refused messages). */
  note(text: string): void {
    this.add(el("li", { class: "note" }, text));
  }

  private add(item: HTMLLIElement): void {
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 24;
    this.log.append(item);
    trimList(this.log, MAX_LINES);
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }
}
