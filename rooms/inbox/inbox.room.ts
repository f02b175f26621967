import { Room, ServerError, type AuthContext, type Client } from "@colyseus/core";
import { z } from "zod";
import type { Config } from "../../config";
import type { Logger } from "../../infra/logger";
import type { MailboxSignal, MessageService } from "../../services/messages";
import type { Notifications, UserNotification } from "../../services/notifications";
import { clientMsgId, content, type StoredMessage } from "../../services/messages.schemas";
import type { AuthClaims, TokenService } from "../../services/tokens";
import { closeOnRevocation, verifyJoin } from "../shared/auth";
import { toJoinRejection } from "../shared/errors";
import { broadcast, MessageRouter, sendTo } from "../shared/messages";
import { Feed } from "../shared/feed";
import { InboxState } from "./state";

export interface InboxDeps {
  tokens: TokenService;
  messages: MessageService;
  notifications: Notifications;
  logger: Logger;
  config: Pick<Config, "WS_MAX_MESSAGES_PER_SECOND">;
}

const joinOptions = z.object({ since_id: z.uuid().optional() });
const dmMessage = z.strictObject({ recipient_id: z.uuid(), content, client_msg_id: clientMsgId.optional() });

/** What `onAuth` resolved for `onCreate` and `onJoin`; a client's own values for these keys are overwritten. */
interface ResolvedOptions {
  user_id: string;
  since_seq?: number;
}

type InboxClient = Client<{ auth: AuthClaims }>;

/**
 * A user's realtime mailbox, one room per user shared by all of their devices: every
 * message sent or received by the user, live and in stored order, and a resume from
 * `since_id` for a device that was away.
 */
export function createInboxRoom(deps: InboxDeps) {
  const { messages, logger } = deps;

  return class InboxRoom extends Room<{ state: InboxState; client: InboxClient }> {
    static async onAuth(token: string, options: Record<string, unknown>, _ctx: AuthContext): Promise<AuthClaims> {
      const claims = await verifyJoin(deps.tokens, token, logger);
      const parsed = joinOptions.safeParse(options);
      if (!parsed.success) throw new ServerError(400, "validation_failed");
      options.user_id = claims.userId;
      delete options.since_seq;
      if (parsed.data.since_id) {
        try {
          options.since_seq = await messages.positionOf(claims.userId, parsed.data.since_id);
        } catch (err) {
          throw toJoinRejection(err, logger);
        }
      }
      return claims;
    }

    private userId = "";
    /** The position of the last message delivered live; nothing at or before it is sent live again. */
    private cursor = 0;
    /** Clients still receiving their backlog: live deliveries wait for them (the backlog covers them). */
    private readonly resuming = new Set<Client>();
    /** A resumed client's `since_id` position: a live delivery still pending from before it joined may be older. */
    private readonly seenUpTo = new WeakMap<Client, number>();
    private readonly feed = new Feed((err) => logger.error({ err, room: this.roomId }, "inbox delivery failed"));
    private readonly undo: (() => void)[] = [];

    async onCreate(options: ResolvedOptions) {
      this.maxMessagesPerSecond = deps.config.WS_MAX_MESSAGES_PER_SECOND;
      this.userId = options.user_id;
      this.setState(new InboxState());
      this.state.user_id = this.userId;
      this.cursor = await messages.latestPosition(this.userId);
      this.state.unread_total = await messages.unreadTotal(this.userId);
      this.undo.push(await closeOnRevocation(this, this.presence));
      this.undo.push(await messages.watch(this.userId, (signal) => this.onSignal(signal)));
      // Scoped presence: Colyseus drops the subscription with the room.
      await this.presence.subscribe(deps.notifications.channelOf(this.userId), (n: UserNotification) => broadcast(this, "notification", n));
      // A message stored between reading the cursor and subscribing would otherwise wait for the next one.
      this.feed.wake(() => this.pump());

      new MessageRouter<InboxClient>(this, logger).on("dm", dmMessage, async (client, dm) => {
        await messages.send({ senderId: client.auth!.userId, recipientId: dm.recipient_id, content: dm.content, clientMsgId: dm.client_msg_id });
      });
    }

    onJoin(client: InboxClient, options: ResolvedOptions) {
      const sinceSeq = options.since_seq;
      if (sinceSeq === undefined) return;
      this.resuming.add(client);
      this.seenUpTo.set(client, sinceSeq);
      void this.feed.run(async () => {
        try {
          for (const m of await messages.since(this.userId, sinceSeq, this.cursor)) sendTo(this, client, "message", m.view);
        } finally {
          this.resuming.delete(client);
        }
      });
    }

    onLeave(client: InboxClient) {
      this.resuming.delete(client);
    }

    onDispose() {
      for (const undo of this.undo) undo();
    }

    onUncaughtException(err: Error, method: string) {
      logger.error({ err, method, room: this.roomId }, "inbox room error");
    }

    /** The next message in order is delivered from the signal; anything else sends the room to the store. */
    private onSignal(signal: MailboxSignal) {
      if (signal.kind !== "message") return this.feed.wake(() => this.pump());
      void this.feed.run(async () => {
        if (signal.seq <= this.cursor) return;
        if (signal.prev.users[this.userId] !== this.cursor) return this.pump();
        this.deliver({ seq: signal.seq, view: signal.message });
        if (signal.message.recipient_id === this.userId) this.state.unread_total++;
      });
    }

    private async pump() {
      for (const m of await messages.since(this.userId, this.cursor)) this.deliver(m);
      this.state.unread_total = await messages.unreadTotal(this.userId);
    }

    private deliver(m: StoredMessage) {
      for (const client of this.clients) {
        if (!this.resuming.has(client) && m.seq > (this.seenUpTo.get(client) ?? 0)) sendTo(this, client, "message", m.view);
      }
      this.cursor = m.seq;
    }
  };
}
