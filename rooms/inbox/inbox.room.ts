import type { AuthContext, Client } from "@colyseus/core";
import { z } from "zod";
import type { Config } from "../../config";
import type { Logger } from "../../infra/logger";
import type { MailboxSignal, MessageService } from "../../services/messages";
import { clientMsgId, content } from "../../services/messages.schemas";
import type { Notifications, UserNotification } from "../../services/notifications";
import type { AuthClaims, TokenService } from "../../services/tokens";
import { logRoomFailure } from "../shared/errors";
import { MessageFeed } from "../shared/feed";
import { authorizeJoin, keyedRoomId, type JoinRules } from "../shared/join";
import { drained, ERROR_MESSAGE, MessageRouter, type MessageMeter } from "../shared/messages";
import type { RoomProtocol } from "../shared/protocol";
import { TavernRoom } from "../shared/room";
import { InboxState } from "./state";

export interface InboxDeps {
  tokens: TokenService;
  messages: MessageService;
  notifications: Notifications;
  logger: Logger;
  meter?: MessageMeter;
  config: Pick<Config, "WS_MAX_MESSAGES_PER_SECOND">;
}

export const INBOX_JOIN = {
  options: z.strictObject({ since_id: z.uuid().optional() }),
  keys: ["user_id"],
  owned: ["since_seq"],
} satisfies JoinRules;

/**
 * The inbox's messages by direction, under the names the room registers and sends
 * (docs/realtime.md documents each; a test holds the two together).
 */
export const INBOX_MESSAGES = {
  in: { dm: "dm" },
  out: { message: "message", notification: "notification", error: ERROR_MESSAGE },
} as const;
const { in: IN, out: OUT } = INBOX_MESSAGES;

const dmMessage = z.strictObject({ recipient_id: z.uuid(), content, client_msg_id: clientMsgId.optional() });

/** What `onAuth` resolved for `onCreate` and `onJoin`. */
interface ResolvedOptions {
  user_id: string;
  since_seq?: number;
}

type InboxClient = Client<{ auth: AuthClaims }>;

/**
 * A user's realtime mailbox, one room per user shared by all of their devices: every
 * message sent or received by the user, live and in stored order, a resume from
 * `since_id` for a device that was away, and the user's notifications.
 */
export function createInboxRoom(deps: InboxDeps) {
  const { messages, logger } = deps;

  return class InboxRoom extends TavernRoom<{ state: InboxState; client: InboxClient }> {
    static readonly protocol: RoomProtocol = { join: INBOX_JOIN, messages: INBOX_MESSAGES, state: [InboxState] };

    static onAuth(token: string, options: Record<string, unknown>, context: AuthContext): Promise<AuthClaims> {
      return authorizeJoin(deps.tokens, INBOX_JOIN, token, options, context, async (claims, parsed) => ({
        key: { user_id: claims.userId },
        extra: parsed.since_id ? { since_seq: await messages.positionOf(claims.userId, parsed.since_id) } : {},
        auth: claims,
      }));
    }

    private userId = "";
    private readonly router = new MessageRouter<InboxClient>(this, logger, deps.meter);
    private readonly feed = new MessageFeed(
      {
        previousOf: (signal) => signal.prev.users[this.userId],
        page: (after) => messages.since(this.userId, after),
        refresh: async () => {
          this.state.unread_total = await messages.unreadTotal(this.userId);
        },
      },
      () => this.clients,
      (client, m) => this.router.send(client, OUT.message, m.view),
      (err) => logRoomFailure(logger, err, { room: this.roomId }, "inbox delivery failed"),
    );

    async onCreate(options: ResolvedOptions) {
      this.roomId = keyedRoomId(this.roomName, options, INBOX_JOIN.keys);
      this.maxMessagesPerSecond = deps.config.WS_MAX_MESSAGES_PER_SECOND;
      this.userId = options.user_id;
      this.setState(new InboxState());
      this.state.user_id = this.userId;
      const cursor = await messages.latestPosition(this.userId);
      this.state.unread_total = await messages.unreadTotal(this.userId);
      // Subscribed through the room's scoped presence: Colyseus drops them with the room.
      await this.presence.subscribe(messages.channelOf(this.userId), (signal: MailboxSignal) =>
        this.feed.onSignal(signal, (m) => {
          if (m.view.recipient_id === this.userId) this.state.unread_total++;
        }),
      );
      await this.presence.subscribe(deps.notifications.channelOf(this.userId), (n: UserNotification) => this.router.broadcast(OUT.notification, n));
      this.feed.start(cursor);

      this.router.on(IN.dm, dmMessage, async (client, dm) => {
        await messages.send({ senderId: client.auth!.userId, recipientId: dm.recipient_id, content: dm.content, clientMsgId: dm.client_msg_id });
      });
    }

    onJoin(client: InboxClient, options: ResolvedOptions) {
      const sinceSeq = options.since_seq;
      if (sinceSeq === undefined) return;
      // Page by page up to the live cursor, each sent once the socket has taken the last:
      // a long absence never holds its whole backlog, in the store's reads or in the socket.
      this.feed.catchUp(
        client,
        async (until) => {
          let after = sinceSeq;
          while (after < until && this.clients.includes(client)) {
            const page = await messages.since(this.userId, after, { untilSeq: until });
            if (page.length === 0) break;
            for (const m of page) this.router.send(client, OUT.message, m.view);
            after = page[page.length - 1]!.seq;
            await drained(client);
          }
        },
        sinceSeq,
      );
    }

    onLeave(client: InboxClient) {
      this.feed.forget(client);
    }

    onUncaughtException(err: Error, method: string) {
      logRoomFailure(logger, err, { method, room: this.roomId }, "inbox room error");
    }
  };
}
