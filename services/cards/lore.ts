import { z } from "zod";
import type { LoreEntry } from "../../infra/generator/generator";
import { characterBook, characterBookEntry } from "./schemas";

/**
 * Which entries of a character book (Character Card V2 `character_book`, V3 `Lorebook`)
 * go into a reply's context, given the recent messages. Pure: no I/O, no clock.
 *
 * - An entry with `enabled: false` never goes in; neither does one whose content is empty.
 * - `constant: true` puts an entry in whatever was said.
 * - Otherwise one of its `keys` must appear in the scanned messages; with
 *   `selective: true` and non-empty `secondary_keys`, one of those must appear too.
 * - Keys match case-insensitively (equal once lower-cased) unless `case_sensitive: true`,
 *   literally (never as patterns), and as whole words where words are separated by
 *   spaces: "cat" is not found in "category" or "cat_x" (letters, digits and _ make
 *   words); at an edge written in a script without spaces between words (Chinese,
 *   Japanese, Korean, Thai…) a key matches inside text. Keys are trimmed; blank keys
 *   never match.
 * - The scanned messages are the last `scan_depth` of them (the book's, else ours; 0
 *   counts as unset, as some editors write it), joined by newlines.
 * - `recursive_scanning: true`: the content of entries already in can bring others in
 *   (a bounded number of passes).
 * - Order: `insertion_order` ascending (lower goes in earlier), then book order.
 * - Budget: the book's `token_budget` (0: unset), capped by ours; entries are admitted by
 *   `priority` (absent: its `insertion_order`, as V3 says) highest first, each one that
 *   still fits, so lower priorities are the ones left out. Tokens are estimated as
 *   characters / 4 (no tokenizer).
 * - V3: entries with `use_regex: true` never match (user-supplied patterns are not run
 *   on the server), and `@@decorator` lines at the head of content are removed and
 *   otherwise ignored. `position` and `extensions` are kept in the card but not used.
 */

export interface LoreLimits {
  /** Messages scanned when the book names no `scan_depth`. */
  scanDepth: number;
  /** The most tokens of lore in one context, whatever the book allows. */
  maxTokens: number;
}

export const DEFAULT_LORE_LIMITS: LoreLimits = { scanDepth: 4, maxTokens: 2048 };

const RECURSION_PASSES = 3;

/** The book itself must have its shape; a malformed entry is skipped alone. */
const book = characterBook.extend({ entries: z.array(z.unknown()) });

interface Candidate {
  index: number;
  id: string;
  name: string;
  keys: string[];
  primary: Key[];
  secondary: Key[];
  selective: boolean;
  caseSensitive: boolean;
  constant: boolean;
  regex: boolean;
  order: number;
  priority: number;
  content: string;
}

/**
 * The lore entries of `book` that `messages` (oldest first; the newest, usually the
 * user's input, last) bring into the context, in insertion order. A book that is not
 * one, or entries that are malformed, contribute nothing.
 */
export function selectLore(characterBook: unknown, messages: string[], limits: LoreLimits = DEFAULT_LORE_LIMITS): LoreEntry[] {
  const parsed = book.safeParse(characterBook);
  if (!parsed.success) return [];
  const depth = positive(parsed.data.scan_depth) ?? limits.scanDepth;
  const budget = Math.min(positive(parsed.data.token_budget) ?? Infinity, limits.maxTokens);
  const candidates = candidatesOf(parsed.data.entries);

  const chosen = new Set<Candidate>(candidates.filter((c) => c.constant && !c.regex));
  const recent = messages.slice(-depth).join("\n");
  const first = new Scan(recent);
  for (const c of candidates) if (!chosen.has(c) && triggers(c, first)) chosen.add(c);
  for (let pass = 0; parsed.data.recursive_scanning === true && pass < RECURSION_PASSES; pass++) {
    const scanned = new Scan([recent, ...[...chosen].map((c) => c.content)].join("\n"));
    const before = chosen.size;
    for (const c of candidates) if (!chosen.has(c) && triggers(c, scanned)) chosen.add(c);
    if (chosen.size === before) break;
  }

  const admitted = new Set<Candidate>();
  let spent = 0;
  for (const c of [...chosen].sort((a, b) => b.priority - a.priority || a.order - b.order || a.index - b.index)) {
    const cost = tokens(c.content);
    if (spent + cost > budget) continue;
    admitted.add(c);
    spent += cost;
  }
  return [...admitted]
    .sort((a, b) => a.order - b.order || a.index - b.index)
    .map((c) => ({ id: c.id, name: c.name, keys: c.keys, content: c.content }));
}

function candidatesOf(entries: unknown[]): Candidate[] {
  const ids = entries.map((e) => {
    const id = (e as { id?: unknown } | null)?.id;
    return typeof id === "number" || typeof id === "string" ? String(id) : undefined;
  });
  const uses = new Map<string | undefined, number>();
  for (const id of ids) uses.set(id, (uses.get(id) ?? 0) + 1);
  const out: Candidate[] = [];
  entries.forEach((raw, index) => {
    const parsed = characterBookEntry.safeParse(raw);
    if (!parsed.success) return;
    const e = parsed.data;
    const content = withoutDecorators(e.content ?? "");
    if (e.enabled === false || !content) return;
    const keys = (e.keys ?? []).map((k) => k.trim()).filter(Boolean);
    const caseSensitive = e.case_sensitive === true;
    const own = ids[index];
    const order = e.insertion_order ?? 0;
    out.push({
      index,
      // The book's own id when it names this entry alone; its position otherwise.
      id: own !== undefined && uses.get(own) === 1 ? own : `entry-${index}`,
      name: e.name?.trim() || keys[0] || `entry ${index + 1}`,
      keys,
      primary: keys.map((k) => keyOf(k, caseSensitive)),
      secondary: (e.secondary_keys ?? []).map((k) => k.trim()).filter(Boolean).map((k) => keyOf(k, caseSensitive)),
      selective: e.selective === true,
      caseSensitive,
      constant: e.constant === true,
      regex: e.use_regex === true,
      order,
      priority: e.priority ?? order,
      content,
    });
  });
  return out;
}

/** Scanned text as given and lower-cased (for case-insensitive keys), each with its words, computed once. */
class Scan {
  private readonly forms = new Map<boolean, { text: string; words?: Set<string> }>();

  constructor(readonly text: string) {}

  form(caseSensitive: boolean): { text: string; words: () => Set<string> } {
    let form = this.forms.get(caseSensitive);
    if (!form) this.forms.set(caseSensitive, (form = { text: caseSensitive ? this.text : this.text.toLowerCase() }));
    const f = form;
    return { text: f.text, words: () => (f.words ??= new Set(f.text.match(WORDS) ?? [])) };
  }
}

function triggers(c: Candidate, scan: Scan): boolean {
  if (c.regex || !scan.text) return false;
  const form = scan.form(c.caseSensitive);
  if (!c.primary.some((k) => appears(k, form))) return false;
  if (c.selective && c.secondary.length > 0) return c.secondary.some((k) => appears(k, form));
  return true;
}

/**
 * A key to look for: its text (lower-cased unless case-sensitive), which of its edges
 * must fall on a word boundary, and whether it is one whole word (then a set lookup
 * answers, instead of a search through the text for every key).
 */
interface Key {
  needle: string;
  left: boolean;
  right: boolean;
  word: boolean;
}

const WORD = /^[\p{L}\p{N}_]/u;
const WORDS = /[\p{L}\p{N}_]+/gu;
const ONE_WORD = /^[\p{L}\p{N}_]+$/u;
const UNSPACED = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}]/u;
/** An edge of a key needs a word boundary when it is a letter of a script that separates words with spaces. */
const bounded = (ch: string) => WORD.test(ch) && !UNSPACED.test(ch);

function keyOf(key: string, caseSensitive: boolean): Key {
  const needle = caseSensitive ? key : key.toLowerCase();
  const left = bounded(String.fromCodePoint(needle.codePointAt(0)!));
  const right = bounded(lastChar(needle, needle.length));
  return { needle, left, right, word: left && right && ONE_WORD.test(needle) };
}

/** Whether the key occurs in the text (literally, never as a pattern) with a word boundary at each edge that needs one. */
function appears(key: Key, form: { text: string; words: () => Set<string> }): boolean {
  if (key.word) return form.words().has(key.needle);
  const text = form.text;
  for (let at = text.indexOf(key.needle); at !== -1; at = text.indexOf(key.needle, at + 1)) {
    const end = at + key.needle.length;
    if (key.left && WORD.test(lastChar(text, at))) continue;
    if (key.right && end < text.length && WORD.test(String.fromCodePoint(text.codePointAt(end)!))) continue;
    return true;
  }
  return false;
}

/** The character (code point) ending just before `index`; empty at the start. */
function lastChar(text: string, index: number): string {
  if (index <= 0) return "";
  const unit = text.charCodeAt(index - 1);
  return unit >= 0xdc00 && unit <= 0xdfff && index >= 2 ? text.slice(index - 2, index) : text.charAt(index - 1);
}

/** Whether `key` occurs in `text` under the rules above (case-insensitive: equal once both are lower-cased). */
export function keyAppears(key: string, text: string, caseSensitive: boolean): boolean {
  return appears(keyOf(key, caseSensitive), new Scan(text).form(caseSensitive));
}

/** The content without V3 decorators (`@@name value` lines at its head) and the blank lines around them. */
function withoutDecorators(content: string): string {
  const lines = content.split(/\r?\n/);
  let start = 0;
  while (start < lines.length && (lines[start]!.startsWith("@@") || !lines[start]!.trim())) start++;
  return lines.slice(start).join("\n").trim();
}

const tokens = (text: string) => Math.ceil(text.length / 4);

/** A book's scan_depth or token_budget; 0, as some editors write for "unset", leaves ours in force. */
const positive = (n: number | null | undefined) => (typeof n === "number" && Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined);
