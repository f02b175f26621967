import { badRequest } from "../errors";
import { settingsView, type Settings, type SettingsPatch } from "./schemas";

/**
 * Room settings: a whitelist of five keys (`/docs`, "chat"), stored per room or
 * session, defaults filled in on read. The generator reads `temperature`,
 * `response_length_pref` and `next_event_len`; `postprocess_mode` and
 * `prewarm_on_start` are kept for clients that set them.
 */

export const DEFAULT_SETTINGS: Settings = {
  postprocess_mode: "none",
  next_event_len: 1,
  response_length_pref: "medium",
  prewarm_on_start: false,
  temperature: 0.8,
};

const KNOWN = new Set(Object.keys(DEFAULT_SETTINGS));

/** 400 `unknown_setting` naming every key outside the whitelist. */
export function assertKnownSettings(patch: SettingsPatch | undefined, field = "settings_patch"): void {
  if (!patch) return;
  const unknown = Object.keys(patch).filter((key) => !KNOWN.has(key));
  if (unknown.length === 0) return;
  throw badRequest(
    "unknown_setting",
    `Only these settings can be changed: ${[...KNOWN].join(", ")}.`,
    unknown.map((key) => ({ field: `${field}.${key}`, message: "is not a setting" })),
  );
}

/** The keys of a checked patch that carry a value, for storing. */
export function patchValues(patch: SettingsPatch | undefined): Partial<Settings> {
  if (!patch) return {};
  return Object.fromEntries(Object.entries(patch).filter(([key, v]) => KNOWN.has(key) && v !== undefined)) as Partial<Settings>;
}

/** Stored settings with defaults for what was never set; anything stored that no longer parses reads as the default. */
export function effectiveSettings(stored: Record<string, unknown> | null | undefined): Settings {
  const merged = { ...DEFAULT_SETTINGS };
  for (const key of KNOWN) {
    const value = stored?.[key];
    if (value === undefined) continue;
    const checked = settingsView.shape[key as keyof Settings].safeParse(value);
    if (checked.success) (merged as Record<string, unknown>)[key] = checked.data;
  }
  return merged;
}
