import type { OrigchatService } from "../services/chat/origchat";
import { origchatSessionView, origchatStartBody, origchatStartView, origchatTurnBody, origchatTurnView, sessionParams } from "../services/chat/schemas";
import { GENERATOR_ERRORS } from "./chat.routes";
import type { Routes } from "./route";

export function origchatRoutes(origchat: OrigchatService) {
  return (r: Routes) => {
    r.add(
      {
        method: "post",
        path: "/chat/origchat/start",
        tag: "origchat",
        summary: "Play a story: the caller's session on it (and the character) unless force_new (also forceNew, force-new); mode is always plain",
        auth: true,
        body: origchatStartBody,
        status: 200,
        response: origchatStartView,
        errors: { 403: "forbidden (private story or character)", 404: "not_found (story, character)", 410: "gone (story deleted)" },
      },
      ({ auth, body }) => origchat.start(auth, body),
    );
    r.add(
      {
        method: "post",
        path: "/chat/origchat/turn",
        tag: "origchat",
        summary: "Play a turn (text, choice or situation); played by the session's live room when there is one; idempotent per idempotency_key",
        auth: true,
        body: origchatTurnBody,
        status: 200,
        response: origchatTurnView,
        errors: {
          400: "validation_failed, unknown_setting",
          403: "forbidden (not your session)",
          404: "not_found (session)",
          409: "no_pending_choice, invalid_choice, turn_in_progress, turn_failed",
          410: "gone (story deleted)",
          502: GENERATOR_ERRORS[502],
          503: `${GENERATOR_ERRORS[503]}, session_unavailable`,
          504: GENERATOR_ERRORS[504],
        },
      },
      ({ auth, body }) => origchat.turn(auth, body),
    );
    r.add(
      {
        method: "get",
        path: "/chat/origchat/sessions/:id",
        tag: "origchat",
        summary: "An origchat session: its meta and latest events",
        auth: true,
        params: sessionParams,
        response: origchatSessionView,
        errors: { 403: "forbidden (not your session)", 404: "not_found (session)" },
      },
      ({ auth, params }) => origchat.session(auth, params.id),
    );
  };
}
