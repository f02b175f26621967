import type { Client } from "@colyseus/sdk";
import { Chat } from "./chat";
import { DirectMessages, type InboxLink } from "./dms";
import { byId } from "./dom";
import { HeldKeys } from "./input";
import type { Notices } from "./notices";
import type { Session } from "./session";
import { World, type Link } from "./world";
import { WorldView } from "./world-view";

export interface GameExits {
  /** The session is over (4401, or a refused token on a join). */
  revoked(): void;
  /** Back to the character list. */
  chooseCharacter(): void;
}

/** One character in play: the world with its canvas and keys, the chat, and the user's direct messages. */
export class Game {
  private readonly world: World;
  private readonly view: WorldView;
  private readonly keys: HeldKeys;
  private readonly chat = new Chat(byId("chat-log"), byId("say-form"), byId("say-input"));
  private readonly dms: DirectMessages;
  private stopped = false;

  constructor(
    session: Session,
    client: Client,
    characterId: string,
    maxStep: number,
    private readonly notices: Notices,
    private readonly exits: GameExits,
  ) {
    this.world = new World(client, () => session.token, characterId, maxStep, {
      welcome: (welcome) => {
        this.keys.setTickRate(welcome.tick_rate);
        byId("zone-name").textContent = `(${welcome.zone_id})`;
      },
      added: (player) => this.view.added(player),
      changed: (player) => this.view.changed(player),
      removed: (id) => this.view.removed(id),
      said: (said) => this.chat.said(said),
      link: (link, detail) => this.onWorldLink(link, detail),
      error: (error) => this.chat.note(`The server refused that: ${error.message}`),
    });
    this.view = new WorldView(byId("world-canvas"), byId("players"), this.world);
    this.keys = new HeldKeys((dx, dy) => this.world.move(dx, dy), () => !this.stopped);
    const user = session.user!;
    this.dms = new DirectMessages(
      client,
      session.api,
      () => session.token,
      user,
      {
        conversations: byId("conversations"),
        unreadTotal: byId("dm-unread-total"),
        peer: byId("dm-peer"),
        log: byId("dm-log"),
        form: byId("dm-form"),
        to: byId("dm-to"),
        message: byId("dm-message"),
        status: byId("dm-status"),
      },
      (link) => this.onInboxLink(link),
    );
  }

  /** Joins the world (a refusal rejects) and then the inbox. */
  async start(): Promise<void> {
    this.view.start();
    this.keys.attach();
    this.chat.attach((text) => this.world.say(text));
    await this.world.start();
    try {
      await this.dms.start();
    } catch {
      this.notices.show("Direct messages are unavailable right now; the world still works.");
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.keys.detach();
    this.view.stop();
    this.chat.detach();
    await Promise.all([this.world.stop(), this.dms.stop()]).catch(() => undefined);
    this.notices.forget("world");
    this.notices.forget("inbox");
  }

  private onWorldLink(link: Link, detail?: string): void {
    switch (link) {
      case "connected":
      case "reconnecting":
        this.notices.link("world", link);
        if (link === "reconnecting") this.keys.releaseAll();
        return;
      case "superseded":
        this.keys.releaseAll();
        this.notices.forget("world");
        this.notices.show("This character joined the world from another window or device, so it stopped playing here.", {
          label: "Play here again",
          run: () => void this.world.start().catch(() => this.exits.chooseCharacter()),
        });
        return;
      case "revoked":
        return this.exits.revoked();
      case "failed":
        this.notices.show(`This character cannot join the world any more${detail ? `: ${detail}` : "."}`, {
          label: "Choose a character",
          run: () => this.exits.chooseCharacter(),
        });
        return;
    }
  }

  private onInboxLink(link: InboxLink): void {
    if (link === "revoked") return this.exits.revoked();
    this.notices.link("inbox", link);
  }
}
