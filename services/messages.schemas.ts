import { z } from "zod";

/** 1–2000 characters once surrounding whitespace is gone. */
export const content = z.string().trim().min(1).max(2000);
export const clientMsgId = z.string().min(1).max(64);

export const sendDmBody = z
  .strictObject({ recipient_id: z.uuid(), content, client_msg_id: clientMsgId.optional() })
  .meta({ id: "SendDirectMessage" });
export const markReadBody = z.strictObject({ message_id: z.uuid() }).meta({ id: "MarkRead" });
export const peerParams = z.strictObject({ user_id: z.uuid() });

export const messageView = z
  .object({
    id: z.uuid(),
    sender_id: z.uuid(),
    sender_username: z.string(),
    recipient_id: z.uuid(),
    content: z.string(),
    client_msg_id: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "DirectMessage" });
export type MessageView = z.infer<typeof messageView>;

export const conversationView = z
  .object({
    user_id: z.uuid(),
    username: z.string(),
    last_message: z.string(),
    last_at: z.string(),
    unread_count: z.number().int(),
  })
  .meta({ id: "Conversation" });
export type ConversationView = z.infer<typeof conversationView>;

/** A message as the store returns it, joined with its sender's name; `seq` is its place in storage order. */
export interface MessageRow {
  id: string;
  seq: string | number;
  sender_id: string;
  sender_username: string;
  recipient_id: string;
  content: string;
  client_msg_id: string | null;
  created_at: Date | string;
}

/** A message with its storage position, as rooms order and deduplicate deliveries by it. */
export interface StoredMessage {
  seq: number;
  view: MessageView;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

export const toMessage = (row: MessageRow): MessageView => ({
  id: row.id,
  sender_id: row.sender_id,
  sender_username: row.sender_username,
  recipient_id: row.recipient_id,
  content: row.content,
  client_msg_id: row.client_msg_id,
  created_at: iso(row.created_at),
});

export const toStored = (row: MessageRow): StoredMessage => ({ seq: Number(row.seq), view: toMessage(row) });

export const toConversation = (row: {
  user_id: string;
  username: string;
  last_message: string;
  last_at: Date | string;
  unread_count: string | number;
}): ConversationView => ({
  user_id: row.user_id,
  username: row.username,
  last_message: row.last_message,
  last_at: iso(row.last_at),
  unread_count: Number(row.unread_count),
});
