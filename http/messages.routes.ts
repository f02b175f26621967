import type { MessageService } from "../services/messages";
import { conversationView, markReadBody, messageView, peerParams, sendDmBody } from "../services/messages.schemas";
import { pageOf, pageQuery } from "../services/pagination";
import type { Routes } from "./route";

export function messageRoutes(messages: MessageService) {
  return (r: Routes) => {
    r.add(
      { method: "post", path: "/messages/dm", tag: "messages", summary: "Send a direct message (idempotent per client_msg_id)", auth: true, body: sendDmBody, response: messageView, errors: { 404: "not_found (recipient)" } },
      async ({ auth, body, res }) => {
        const { message, created } = await messages.send({ senderId: auth.userId, recipientId: body.recipient_id, content: body.content, clientMsgId: body.client_msg_id });
        // A repeated client_msg_id answers with the message stored the first time.
        if (!created) res.status(200).json(message);
        return message;
      },
    );
    r.add(
      { method: "get", path: "/messages/dm/:user_id", tag: "messages", summary: "The conversation with a user, newest first", auth: true, params: peerParams, query: pageQuery, response: pageOf(messageView), errors: { 404: "not_found (user)" } },
      ({ auth, params, query }) => messages.history(auth.userId, params.user_id, query),
    );
    r.add(
      { method: "get", path: "/messages/conversations", tag: "messages", summary: "The caller's conversations, latest first", auth: true, query: pageQuery, response: pageOf(conversationView) },
      ({ auth, query }) => messages.conversations(auth.userId, query),
    );
    r.add(
      { method: "post", path: "/messages/dm/:user_id/read", tag: "messages", summary: "Mark a conversation read up to a message", auth: true, params: peerParams, body: markReadBody, status: 204, errors: { 404: "not_found (user or message)" } },
      async ({ auth, params, body }) => {
        await messages.markRead(auth.userId, params.user_id, body.message_id);
      },
    );
  };
}
