import type { Schema } from "@colyseus/schema";
import { Callbacks, type Client, type Room } from "@colyseus/sdk";
import { ApiError, type Api, type Conversation, type Message, type User } from "./api";
import { joinWhenFree } from "./busy";
import { el } from "./dom";
import { CLOSE_CONSENTED, CLOSE_REVOKED, CLOSE_SERVER_SHUTDOWN } from "./world";

export type InboxLink = "connected" | "reconnecting" | "revoked";

export interface DmElements {
  conversations: HTMLUListElement;
  unreadTotal: HTMLElement;
  peer: HTMLElement;
  log: HTMLOListElement;
  form: HTMLFormElement;
  to: HTMLInputElement;
  message: HTMLInputElement;
  status: HTMLElement;
}

interface InboxState extends Schema {
  unread_total: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 128 random bits as hex; crypto.randomUUID exists only in secure contexts, and a LAN demo may be plain http. */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

interface DmBody {
  recipient_id: string;
  content: string;
  client_msg_id: string;
}

const byTime = (a: Message, b: Message) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);

/**
 * Direct messages through the user's `inbox` room: the conversation list (from REST,
 * then kept current by what the inbox delivers), one open conversation, and the
 * "To"/"Message" form, which sends `dm` over the inbox with a `client_msg_id` (over
 * REST, with the same id, while the inbox is down: a retry never duplicates). After a
 * drop the inbox is joined again with `since_id`, the last message this page saw, so
 * whatever arrived meanwhile is delivered before anything newer.
 */
export class DirectMessages {
  private room?: Room;
  private stopped = true;
  private connected = false;
  private lastSeenId?: string;
  private readonly seen = new Set<string>();
  private readonly conversations = new Map<string, Conversation>();
  private readonly names = new Map<string, string>();
  /** Sent and not yet echoed, by client_msg_id: resent over REST after a drop, which cannot duplicate them. */
  private readonly pending = new Map<string, DmBody>();
  private open?: User;
  private readonly thread = new Map<string, Message>();
  private readonly undo: (() => void)[] = [];

  constructor(
    private readonly client: Client,
    private readonly api: Api,
    private readonly token: () => string | undefined,
    private readonly me: User,
    private readonly els: DmElements,
    private readonly onLink: (link: InboxLink) => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    const onSubmit = (e: Event) => {
      e.preventDefault();
      void this.submit();
    };
    this.els.form.addEventListener("submit", onSubmit);
    this.undo.push(() => this.els.form.removeEventListener("submit", onSubmit));
    await this.loadConversations();
    await this.join();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const undo of this.undo.splice(0)) undo();
    const room = this.room;
    this.room = undefined;
    this.connected = false;
    for (const list of [this.els.conversations, this.els.log]) list.replaceChildren();
    this.els.peer.textContent = "No conversation open";
    this.els.unreadTotal.textContent = "";
    if (room?.connection?.isOpen) await room.leave();
  }

  /** The REST view of the conversations, and the newest message in them as the resume point. */
  private async loadConversations(): Promise<void> {
    const page = await this.api.conversations();
    this.conversations.clear();
    for (const c of page.items) {
      this.conversations.set(c.user_id, c);
      this.names.set(c.user_id, c.username);
    }
    this.renderConversations();
    const latest = page.items[0];
    if (!this.lastSeenId && latest) {
      const newest = (await this.api.history(latest.user_id, 1)).items[0];
      if (newest) this.markSeen(newest.id);
    }
  }

  private async join(): Promise<void> {
    // The token is read at each try: it may have been refreshed during a wait.
    const room = await joinWhenFree(() => {
      this.client.auth.token = this.token() ?? "";
      return this.client.joinOrCreate("inbox", this.lastSeenId ? { since_id: this.lastSeenId } : {});
    }, () => this.stopped);
    if (this.stopped) {
      await room.leave();
      return;
    }
    this.room = room;
    // The inbox holds no seat: a drop is answered by joining again with since_id, below.
    room.reconnection.enabled = false;
    room.onMessage("message", (m: Message) => this.receive(m));
    room.onMessage("notification", () => undefined);
    room.onMessage("error", (e: { code: string; message: string }) => this.say(e.message || e.code));
    Callbacks.get(room as Room<unknown, InboxState>).listen("unread_total", (total: number) => {
      this.els.unreadTotal.dataset.unreadTotal = String(total);
      this.els.unreadTotal.textContent = total > 0 ? `${total} unread` : "";
    });
    room.onLeave((code: number) => this.left(room, code));
    this.connected = true;
    this.onLink("connected");
  }

  private left(room: Room, code: number): void {
    if (room !== this.room) return;
    this.room = undefined;
    this.connected = false;
    if (this.stopped || code === CLOSE_CONSENTED) return;
    if (code === CLOSE_REVOKED) return this.onLink("revoked");
    this.onLink("reconnecting");
    // A process shutting down (4001): join again at once, from since_id; matchmaking places the inbox elsewhere.
    void this.rejoin(code === CLOSE_SERVER_SHUTDOWN);
  }

  private async rejoin(atOnce = false): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      if (attempt > 0 || !atOnce) await sleep(Math.min(5_000, 250 * 2 ** attempt));
      if (this.stopped) return;
      try {
        // Without a message to resume from, REST tells what was missed.
        if (!this.lastSeenId) await this.loadConversations();
        await this.join();
        void this.resendPending();
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 401) return this.onLink("revoked");
        // The resume point is unknown to the server: start again from REST.
        if (code === 404) this.lastSeenId = undefined;
      }
    }
  }

  private markSeen(id: string): void {
    this.seen.add(id);
    this.lastSeenId = id;
  }

  /** Sends the inbox may have lost with its connection. */
  private async resendPending(): Promise<void> {
    for (const body of [...this.pending.values()]) await this.post(body);
  }

  /** Over REST, with the same client_msg_id: a send the server already stored answers with the stored message. */
  private async post(body: DmBody): Promise<void> {
    try {
      this.receive(await this.api.call<Message>("POST", "/messages/dm", body), false);
    } catch (err) {
      // Refused for good; an unreachable server leaves it pending for the next rejoin.
      if (err instanceof ApiError) this.pending.delete(body.client_msg_id);
      this.say(err instanceof ApiError ? err.describe() : "Not sent yet: the server is unreachable. It will be sent on reconnection.");
    }
  }

  /**
   * A message sent or received by this user; each is counted once. Only what the inbox
   * delivers, in stored order, moves the resume point: a message answered over REST may
   * be newer than others not delivered yet.
   */
  private receive(m: Message, fromInbox = true): void {
    const known = this.seen.has(m.id);
    if (fromInbox) this.markSeen(m.id);
    else this.seen.add(m.id);
    if (known) return;
    const incoming = m.recipient_id === this.me.id;
    const peerId = incoming ? m.sender_id : m.recipient_id;
    if (incoming) this.names.set(peerId, m.sender_username);
    const conversation = this.conversations.get(peerId) ?? {
      user_id: peerId,
      username: this.names.get(peerId) ?? "someone",
      last_message: "",
      last_at: "",
      unread_count: 0,
    };
    conversation.last_message = m.content;
    conversation.last_at = m.created_at;
    const viewing = this.open?.id === peerId;
    if (incoming && !viewing) conversation.unread_count++;
    this.conversations.set(peerId, conversation);
    this.renderConversations();
    if (viewing) {
      this.thread.set(m.id, m);
      this.renderThread();
      if (incoming) void this.api.markRead(peerId, m.id).catch(() => undefined);
    }
    if (!incoming && m.client_msg_id && this.pending.delete(m.client_msg_id)) this.say("Sent.");
  }

  private async submit(): Promise<void> {
    const to = this.els.to.value.trim();
    const content = this.els.message.value.trim();
    if (!to || !content) return this.say("Write a username in To and a message.");
    try {
      const peer = await this.resolve(to);
      if (!peer) return this.say(`No user is called ${to}.`);
      if (peer.id === this.me.id) return this.say("That is you: write to someone else.");
      const body: DmBody = { recipient_id: peer.id, content, client_msg_id: randomId() };
      this.pending.set(body.client_msg_id, body);
      this.els.message.value = "";
      if (this.open?.id !== peer.id) void this.openConversation(peer);
      if (this.connected && this.room) {
        this.say("Sending…");
        this.room.send("dm", body);
      } else {
        this.say("Sending (the inbox is reconnecting)…");
        await this.post(body);
      }
    } catch (err) {
      this.say(err instanceof ApiError ? err.describe() : "Could not send: the server is unreachable.");
    }
  }

  /** A username to a user: one we know, or the exact match (any case) of a directory search. */
  private async resolve(username: string): Promise<User | undefined> {
    const wanted = username.toLowerCase();
    if (wanted === this.me.username.toLowerCase()) return this.me;
    for (const [id, name] of this.names) if (name.toLowerCase() === wanted) return { id, username: name };
    const page = await this.api.searchUsers(username.slice(0, 32));
    const found = page.items.find((u) => u.username.toLowerCase() === wanted);
    if (found) this.names.set(found.id, found.username);
    return found;
  }

  private async openConversation(peer: User): Promise<void> {
    this.open = peer;
    this.thread.clear();
    this.els.to.value = peer.username;
    this.els.peer.textContent = `Conversation with ${peer.username}`;
    this.els.log.dataset.peerId = peer.id;
    this.renderThread();
    const conversation = this.conversations.get(peer.id);
    if (conversation) conversation.unread_count = 0;
    this.renderConversations();
    try {
      const page = await this.api.history(peer.id, 50);
      if (this.open?.id !== peer.id) return;
      for (const m of page.items) {
        this.seen.add(m.id);
        this.thread.set(m.id, m);
      }
      this.renderThread();
      const newestIncoming = page.items.find((m) => m.sender_id === peer.id);
      if (newestIncoming) await this.api.markRead(peer.id, newestIncoming.id);
    } catch {
      this.say("Could not load this conversation.");
    }
  }

  private renderConversations(): void {
    const sorted = [...this.conversations.values()].sort((a, b) => b.last_at.localeCompare(a.last_at));
    this.els.conversations.replaceChildren(
      ...sorted.map((c) => {
        const button = el("button", { type: "button" });
        button.append(el("span", { class: "peer" }, c.username), el("span", { class: "last" }, c.last_message));
        if (c.unread_count > 0) button.append(el("span", { class: "unread", "aria-label": `${c.unread_count} unread` }, String(c.unread_count)));
        button.addEventListener("click", () => void this.openConversation({ id: c.user_id, username: c.username }));
        const item = el("li", { "data-user-id": c.user_id, "data-unread": String(c.unread_count) });
        if (this.open?.id === c.user_id) item.setAttribute("aria-current", "true");
        item.append(button);
        return item;
      }),
    );
  }

  private renderThread(): void {
    const messages = [...this.thread.values()].sort(byTime).slice(-100);
    this.els.log.replaceChildren(
      ...messages.map((m) => {
        const mine = m.sender_id === this.me.id;
        const item = el("li", { "data-message-id": m.id, class: mine ? "mine" : "theirs" });
        item.append(el("strong", {}, mine ? "You" : m.sender_username), " ", el("span", { class: "text" }, m.content));
        return item;
      }),
    );
    this.els.log.scrollTop = this.els.log.scrollHeight;
  }

  private say(text: string): void {
    this.els.status.textContent = text;
  }
}
