import type { CharacterChatService } from "../services/chat/character-chat";
import { chatEventView, chatMessageBody, chatMessageView, chatRoomParams, chatRoomView, chatStartBody, chatStartView } from "../services/chat/schemas";
import { page, pageOf, pageQuery } from "../services/pagination";
import type { Routes } from "./route";

/** Failures of the text generator, as every route that generates a reply documents them. */
export const GENERATOR_ERRORS = { 502: "generator_failed", 503: "generator_rate_limited, generation_cancelled", 504: "generator_timeout" };

export function chatRoutes(chat: CharacterChatService) {
  return (r: Routes) => {
    r.add(
      {
        method: "post",
        path: "/chat/start",
        tag: "chat",
        summary: "Open a chat with a character: the caller's latest room with it, or a new one opened from a start set or the greeting",
        auth: true,
        body: chatStartBody,
        status: 200,
        response: chatStartView,
        errors: { 403: "forbidden (private character)", 404: "not_found (character, start set)" },
      },
      ({ auth, body }) => chat.start(auth, body),
    );
    r.add(
      {
        method: "post",
        path: "/chat/start-new",
        tag: "chat",
        summary: "Open a new chat room with a character, always",
        auth: true,
        body: chatStartBody,
        response: chatStartView,
        errors: { 403: "forbidden (private character)", 404: "not_found (character, start set)" },
        // A room is read through its messages.
        location: (started: { room_id: string }) => `/chat/rooms/${started.room_id}/messages`,
      },
      ({ auth, body }) => chat.start(auth, body, true),
    );
    r.add(
      {
        method: "post",
        path: "/chat/message",
        tag: "chat",
        summary: "Play a turn: the user's message, then the character's reply (turns numbered per room without gaps)",
        auth: true,
        body: chatMessageBody,
        status: 200,
        response: chatMessageView,
        errors: {
          400: "validation_failed, unknown_setting",
          403: "forbidden (not your room)",
          404: "not_found (chat room)",
          409: "character_mismatch, turn_in_progress",
          ...GENERATOR_ERRORS,
        },
      },
      ({ auth, body }) => chat.message(auth, body),
    );
    r.add(
      { method: "get", path: "/chat/rooms", tag: "chat", summary: "The caller's chat rooms, the most recently played first", auth: true, query: pageQuery, response: pageOf(chatRoomView) },
      async ({ auth, query }) => {
        const { items, total } = await chat.rooms(auth, query);
        return page(items, total, query);
      },
    );
    r.add(
      {
        method: "get",
        path: "/chat/rooms/:id/messages",
        tag: "chat",
        summary: "A chat room's messages, newest first",
        auth: true,
        params: chatRoomParams,
        query: pageQuery,
        response: pageOf(chatEventView),
        errors: { 403: "forbidden (not your room)", 404: "not_found (chat room)" },
      },
      ({ auth, params, query }) => chat.messages(auth, params.id, query),
    );
  };
}
