import type { AuthContext, Client } from "@colyseus/core";
import { z } from "zod";
import type { Config } from "../../config";
import type { Logger } from "../../infra/logger";
import { badRequest, forbidden } from "../../services/errors";
import type { MailboxSignal, MessageService } from "../../services/messages";
import { clientMsgId, content } from "../../services/messages.schemas";
import type { AuthClaims, TokenService } from "../../services/tokens";
import { logRoomFailure } from "../shared/errors";
import { MessageFeed } from "../shared/feed";
import { authorizeJoin, keyedRoomId, type JoinRules } from "../shared/join";
import { ERROR_MESSAGE, MessageRouter, type MessageMeter } from "../shared/messages";
import type { RoomProtocol } from "../shared/protocol";
import { TavernRoom } from "../shared/room";
import { DmChannelState, Participant } from "./state";

export interface DmChannelDeps {
  tokens: TokenService;
  messages: MessageService;
  logger: Logger;
  meter?: MessageMeter;
  config: Pick<Config, "WS_MAX_MESSAGES_PER_SECOND">;
}

const HISTORY_ON_JOIN = 50;

export const DM_CHANNEL_JOIN = {
  options: z.strictObject({ peer_id: z.uuid() }),
  keys: ["channel_id"],
} satisfies JoinRules;
/**
 * The channel's messages by direction, under the names the room registers and sends
 * (docs/realtime.md documents each; a test holds the two together).
 */
export const DM_CHANNEL_MESSAGES = {
  in: { message: "message", typing: "typing", read: "read" },
  out: { history: "history", message: "message", error: ERROR_MESSAGE },
} as const;
const { in: IN, out: OUT } = DM_CHANNEL_MESSAGES;

const channelMessage = z.strictObject({ content, client_msg_id: clientMsgId.optional(), recipient_id: z.uuid().optional() });
const typingMessage = z.strictObject({ is_typing: z.boolean() });
const readMessage = z.strictObject({ message_id: z.uuid() });

type ChannelClient = Client<{ auth: AuthClaims }>;

/**
 * The live conversation of one pair of users: one room per pair (`channel_id` is the
 * two ids sorted), both sides see each message (their own echo included), typing and
 * read state, and who is online.
 */
export function createDmChannelRoom(deps: DmChannelDeps) {
  const { messages, logger } = deps;

  return class DmChannelRoom extends TavernRoom<{ state: DmChannelState; client: ChannelClient }> {
    static readonly protocol: RoomProtocol = { join: DM_CHANNEL_JOIN, messages: DM_CHANNEL_MESSAGES, state: [DmChannelState, Participant] };

    static onAuth(token: string, options: Record<string, unknown>, context: AuthContext): Promise<AuthClaims> {
      return authorizeJoin(deps.tokens, DM_CHANNEL_JOIN, token, options, context, async (claims, { peer_id }) => {
        if (peer_id === claims.userId) throw forbidden("A DM channel needs another user.");
        await messages.username(peer_id);
        return { key: { channel_id: [claims.userId, peer_id].sort().join(":") }, auth: claims };
      });
    }

    private pair: [string, string] = ["", ""];
    private readonly router = new MessageRouter<ChannelClient>(this, logger, deps.meter);
    private readonly feed = new MessageFeed(
      {
        previousOf: (signal) => {
          const { sender_id, recipient_id } = signal.message;
          return this.pair.includes(sender_id) && this.pair.includes(recipient_id) ? signal.prev.pair : undefined;
        },
        page: (after) => messages.pairSince(...this.pair, after),
        refresh: () => this.refreshReadMarkers(),
      },
      () => this.clients,
      (client, m) => this.router.send(client, OUT.message, m.view),
      (err) => logRoomFailure(logger, err, { room: this.roomId }, "dm channel delivery failed"),
    );

    async onCreate(options: { channel_id: string }) {
      this.roomId = keyedRoomId(this.roomName, options, DM_CHANNEL_JOIN.keys);
      this.maxMessagesPerSecond = deps.config.WS_MAX_MESSAGES_PER_SECOND;
      const [a, b] = options.channel_id.split(":") as [string, string];
      this.pair = [a, b];
      this.setState(new DmChannelState());
      this.state.channel_id = options.channel_id;
      for (const userId of this.pair) {
        this.state.participants.set(userId, new Participant().assign({ user_id: userId, username: await messages.username(userId) }));
      }
      const cursor = await messages.latestPosition(a, b);
      await this.refreshReadMarkers();
      // Subscribed through the room's scoped presence: Colyseus drops them with the room.
      // Both mailboxes: a read marker is signalled to the reader's only.
      for (const userId of this.pair) await this.presence.subscribe(messages.channelOf(userId), (signal: MailboxSignal) => this.feed.onSignal(signal));
      this.feed.start(cursor);

      this.router
        .on(IN.message, channelMessage, async (client, msg) => {
          const peerId = this.peerOf(client);
          if (msg.recipient_id !== undefined && msg.recipient_id !== peerId) {
            throw badRequest("validation_failed", "This channel only carries messages to its peer.", [
              { field: "recipient_id", message: "must be the peer of this channel" },
            ]);
          }
          await messages.send({ senderId: client.auth!.userId, recipientId: peerId, content: msg.content, clientMsgId: msg.client_msg_id });
        })
        .on(IN.typing, typingMessage, (client, msg) => {
          this.state.participants.get(client.auth!.userId)!.typing = msg.is_typing;
        })
        .on(IN.read, readMessage, async (client, msg) => {
          await messages.markRead(client.auth!.userId, this.peerOf(client), msg.message_id);
        });
    }

    onJoin(client: ChannelClient) {
      this.updatePresenceOf(client.auth!.userId);
      this.feed.catchUp(client, async (until) => {
        this.router.send(client, OUT.history, { items: await messages.pairRecent(...this.pair, until, HISTORY_ON_JOIN) });
      });
    }

    onLeave(client: ChannelClient) {
      this.feed.forget(client);
      this.updatePresenceOf(client.auth!.userId);
    }

    onUncaughtException(err: Error, method: string) {
      logRoomFailure(logger, err, { method, room: this.roomId }, "dm channel room error");
    }

    private peerOf(client: ChannelClient): string {
      return this.pair[0] === client.auth!.userId ? this.pair[1] : this.pair[0];
    }

    /** Online while any of the user's devices is connected; typing stops with the last one. */
    private updatePresenceOf(userId: string) {
      const participant = this.state.participants.get(userId)!;
      participant.online = this.clients.some((c) => c.auth?.userId === userId);
      if (!participant.online) participant.typing = false;
    }

    private async refreshReadMarkers() {
      const markers = await messages.readMarkers(...this.pair);
      for (const [userId, messageId] of Object.entries(markers)) this.state.participants.get(userId)!.last_read_message_id = messageId;
    }
  };
}
