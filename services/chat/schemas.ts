import { z } from "zod";

/**
 * The shapes of character chat and origchat, in and out: one event shape and one
 * settings shape for both, since one turn engine serves both.
 */

/** What a user says in one turn (chat `content`, origchat `input.text`). */
export const userText = z.string().trim().min(1).max(2000);

export const RESPONSE_LENGTHS = ["short", "medium", "long"] as const;

/**
 * The settings a client may patch, and nothing else: any
 * other key is 400 `unknown_setting`, which the engine checks, so the schema lets
 * unknown keys through to it instead of refusing them as `validation_failed`.
 */
export const settingsPatch = z
  .object({
    postprocess_mode: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be a mode name: up to 32 lower-case letters, digits, - and _")
      .optional(),
    next_event_len: z.number().int().min(1).max(10).optional(),
    response_length_pref: z.enum(RESPONSE_LENGTHS).optional(),
    prewarm_on_start: z.boolean().optional(),
    temperature: z.number().min(0).max(2).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: "ChatSettingsPatch", description: "Only these keys; any other is 400 unknown_setting." });
export type SettingsPatch = z.output<typeof settingsPatch>;

export const settingsView = z
  .object({
    postprocess_mode: z.string(),
    next_event_len: z.number().int(),
    response_length_pref: z.enum(RESPONSE_LENGTHS),
    prewarm_on_start: z.boolean(),
    temperature: z.number(),
  })
  .meta({ id: "ChatSettings" });
export type Settings = z.infer<typeof settingsView>;

export const chatEventView = z
  .object({
    id: z.uuid(),
    turn: z.number().int(),
    role: z.enum(["user", "character", "narrator"]),
    /** `text`, `choice`, `situation` (user input), `reply`, `intro`, `greeting`, `first_line`. */
    kind: z.string(),
    text: z.string(),
    created_at: z.string(),
  })
  .meta({ id: "ChatEvent" });
export type EventView = z.infer<typeof chatEventView>;

export const choiceView = z.object({ id: z.string(), label: z.string() }).meta({ id: "Choice" });
export type ChoiceView = z.infer<typeof choiceView>;

/** One turn's input. A `choice` names one of the pending choices; its label becomes the turn's text. */
export const turnInput = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("text"), text: userText }),
    z.strictObject({ type: z.literal("situation"), text: userText }),
    z.strictObject({ type: z.literal("choice"), choice_id: z.string().min(1).max(64), text: z.string().max(2000).optional() }),
  ])
  .meta({ id: "TurnInput" });
export type TurnInput = z.output<typeof turnInput>;

export const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,64}$/, "must be 1 to 64 visible ASCII characters");

// Character chat

export const chatStartBody = z
  .strictObject({ character_id: z.uuid(), opening_id: z.string().trim().min(1).max(64).optional() })
  .meta({ id: "ChatStartRequest" });
export type ChatStartInput = z.output<typeof chatStartBody>;

export const chatStartView = z
  .object({ room_id: z.uuid(), character_id: z.uuid(), reused: z.boolean(), messages: z.array(chatEventView) })
  .meta({ id: "ChatStart" });
export type ChatStartView = z.infer<typeof chatStartView>;

export const chatMessageBody = z
  .strictObject({ room_id: z.uuid(), character_id: z.uuid(), content: userText, settings_patch: settingsPatch.optional() })
  .meta({ id: "ChatMessageRequest" });
export type ChatMessageInput = z.output<typeof chatMessageBody>;

export const chatMessageView = z
  .object({ turn: z.number().int(), user_message: chatEventView, character_message: chatEventView, settings: settingsView })
  .meta({ id: "ChatMessageResult" });
export type ChatMessageView = z.infer<typeof chatMessageView>;

export const chatRoomView = z
  .object({
    id: z.uuid(),
    character_id: z.uuid(),
    character_name: z.string(),
    opening_id: z.string().nullable(),
    turn: z.number().int(),
    settings: settingsView,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "ChatRoom" });
export type ChatRoomView = z.infer<typeof chatRoomView>;

export const chatRoomParams = z.object({ id: z.string() });

// Origchat

/** `force_new` in all three spellings clients use. */
export const origchatStartBody = z
  .strictObject({
    story_id: z.uuid(),
    character_id: z.uuid().optional(),
    force_new: z.boolean().optional(),
    forceNew: z.boolean().optional(),
    "force-new": z.boolean().optional(),
    /** Answered with `plain` whatever is asked, for now. */
    mode: z.string().trim().max(32).optional(),
  })
  .meta({ id: "OrigchatStartRequest" });
export type OrigchatStartInput = z.output<typeof origchatStartBody>;

export const origchatMeta = z
  .object({
    session_id: z.uuid(),
    story_id: z.uuid(),
    character_id: z.uuid().nullable(),
    mode: z.string(),
    turn: z.number().int(),
    pending_choices: z.array(choiceView),
    last_idem_key: z.string().nullable(),
    settings: settingsView,
    stats: z.record(z.string(), z.number()),
    memos: z.array(z.string()),
    created_at: z.string(),
  })
  .meta({ id: "OrigchatMeta" });
export type OrigchatMeta = z.infer<typeof origchatMeta>;

export const origchatStartView = z
  .object({ session_id: z.uuid(), reused: z.boolean(), mode: z.string(), meta: origchatMeta })
  .meta({ id: "OrigchatStart" });
export type OrigchatStartView = z.infer<typeof origchatStartView>;

export const origchatTurnBody = z
  .strictObject({ session_id: z.uuid(), input: turnInput, idempotency_key: idempotencyKey.optional(), settings_patch: settingsPatch.optional() })
  .meta({ id: "OrigchatTurnRequest" });
export type OrigchatTurnInput = z.output<typeof origchatTurnBody>;

export const origchatTurnView = z
  .object({ turn: z.number().int(), events: z.array(chatEventView), pending_choices: z.array(choiceView) })
  .meta({ id: "OrigchatTurnResult" });
export type OrigchatTurnView = z.infer<typeof origchatTurnView>;

export const origchatSessionView = origchatMeta.extend({ events: z.array(chatEventView) }).meta({ id: "OrigchatSession" });
export type OrigchatSessionView = z.infer<typeof origchatSessionView>;

export const sessionParams = z.object({ id: z.string() });
