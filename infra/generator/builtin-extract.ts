import type { ExtractedCharacter } from "./generator";
import { sentenceCase } from "./text";

/**
 * The built-in character extraction: names are runs of capitalised words that are not
 * function words; a single word seen only at the start of sentences, without a cue, is
 * not a name; a name
 * mostly met after "in", "at", "to"... is a place; short forms ("Mara") count towards
 * the full name they belong to ("Mara Vell"). A person needs two mentions, or one with
 * a cue (a title, "named", a speech verb, an appositive).
 */

const MAX_CHARACTERS = 20;
const MAX_DESCRIPTION = 200;

const FUNCTION_WORDS = new Set(
  (
    "i i'm i'd i'll i've a an the and but or nor so yet if when then there their they he she it we you your his her its our my me him them " +
    "this that these those what who whom whose why how where which while after before once now yes no not oh ah well in on at to for from with " +
    "without of by as into onto over under every each some any all both either neither nobody somebody everyone someone anyone nothing " +
    "something everything only even still just perhaps maybe later soon never always here dear god chapter part " +
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december"
  ).split(" "),
);

const TITLES = new Set(
  "mr mrs ms miss dr doctor captain lady lord sir dame professor inspector father mother sister brother king queen prince princess duke duchess".split(" "),
);

const LOCATIVE = new Set("in at to from into onto of across toward towards through near under over beyond inside outside around".split(" "));
const PLACE_NOUNS = new Set("town city village station ship hotel island building port hold street river lake mountain valley habitat quarter".split(" "));
const PASS_OVER = new Set("the old new little great north south east west upper lower far".split(" "));
const SPEECH = /^(said|asked|replied|whispered|shouted|answered|laughed|cried|muttered|called|announced|told|smiled|nodded|sighed)$/i;
const NAMING = new Set(["named", "called"]);

interface Token {
  word: string;
  start: number;
  end: number;
}

interface Candidate {
  name: string;
  mentions: number;
  midSentence: number;
  locative: number;
  cued: boolean;
  first: number;
  sentences: number[];
}

const isCapitalised = (w: string) => /^\p{Lu}/u.test(w);
const bare = (w: string) => w.toLowerCase().replace(/['’]s$/, "");

export function extractNames(text: string): ExtractedCharacter[] {
  const sentences = text.match(/[^.!?…\n]+[.!?…]*["”’)]*\s*/g) ?? [];
  const found = new Map<string, Candidate>();
  let order = 0;

  sentences.forEach((sentence, index) => {
    const tokens: Token[] = [...sentence.matchAll(/\p{L}[\p{L}'’-]*/gu)].map((m) => ({ word: m[0], start: m.index, end: m.index + m[0].length }));
    let i = 0;
    while (i < tokens.length) {
      if (!isCapitalised(tokens[i]!.word)) {
        i++;
        continue;
      }
      // A run of capitalised words separated by nothing but spaces.
      let j = i + 1;
      while (j < tokens.length && isCapitalised(tokens[j]!.word) && /^\s+$/.test(sentence.slice(tokens[j - 1]!.end, tokens[j]!.start))) j++;
      let run = tokens.slice(i, j);
      const sentenceStart = i === 0 || /^[\s"“'‘(—-]*$/.test(sentence.slice(0, tokens[i]!.start));
      while (run.length > 0 && FUNCTION_WORDS.has(bare(run[0]!.word))) run = run.slice(1);
      if (run.length > 0 && !(run.length === 1 && TITLES.has(bare(run[0]!.word)))) {
        const name = run.map((t) => t.word.replace(/['’]s$/, "")).join(" ");
        const at = tokens.indexOf(run[0]!);
        const before = tokens[at - 1]?.word.toLowerCase() ?? "";
        // Past an article or a compass word: "in the Dolomites", "of old London".
        const previous = PASS_OVER.has(before) ? [before, tokens[at - 2]?.word.toLowerCase() ?? ""] : [before];
        const after = tokens[j]?.word ?? "";
        const candidate = found.get(name) ?? { name, mentions: 0, midSentence: 0, locative: 0, cued: false, first: order++, sentences: [] };
        candidate.mentions++;
        if (!sentenceStart || at !== i) candidate.midSentence++;
        if (previous.some((w) => LOCATIVE.has(w) || PLACE_NOUNS.has(w))) candidate.locative++;
        const appositive = /^\s*,\s+(an?|the)\s/i.test(sentence.slice(run.at(-1)!.end));
        if (TITLES.has(bare(run[0]!.word)) || NAMING.has(before) || SPEECH.test(after) || SPEECH.test(before) || appositive) candidate.cued = true;
        if (!candidate.sentences.includes(index)) candidate.sentences.push(index);
        found.set(name, candidate);
      }
      i = j;
    }
  });

  const candidates = [...found.values()];
  mergeShortForms(candidates);
  return candidates
    .filter((c) => c.mentions > 0 && (c.midSentence > 0 || c.cued || c.name.includes(" ")) && c.locative * 2 <= c.mentions && (c.mentions >= 2 || c.cued))
    .sort((a, b) => b.mentions - a.mentions || a.first - b.first)
    .slice(0, MAX_CHARACTERS)
    .map((c) => ({ name: c.name, mentions: c.mentions, description: describe(c, sentences) }));
}

/** "Mara" counts towards "Mara Vell" when exactly one longer name starts or ends with it. */
function mergeShortForms(candidates: Candidate[]): void {
  for (const short of candidates) {
    if (short.name.includes(" ")) continue;
    const owners = candidates.filter((c) => c !== short && c.mentions > 0 && c.name.split(" ").some((part) => part === short.name));
    if (owners.length !== 1) continue;
    const owner = owners[0]!;
    owner.mentions += short.mentions;
    owner.midSentence += short.midSentence;
    owner.locative += short.locative;
    owner.cued ||= short.cued;
    owner.sentences.push(...short.sentences.filter((s) => !owner.sentences.includes(s)));
    owner.sentences.sort((a, b) => a - b);
    short.mentions = 0;
  }
}

/** What introduces the character ("Mara, a lamplighter...", "Mara was a lamplighter..."), else its first sentence. */
function describe(c: Candidate, sentences: string[]): string {
  for (const index of c.sentences) {
    const sentence = sentences[index]!;
    const at = sentence.indexOf(c.name);
    if (at < 0) continue;
    const appositive = /^(?:,|\s+(?:was|is))\s+((an?|the)\s[^,.;!?]+)/i.exec(sentence.slice(at + c.name.length));
    if (appositive) return `${sentenceCase(appositive[1]!.trim())}.`;
  }
  const first = sentences[c.sentences[0]!]!.trim();
  return first.length <= MAX_DESCRIPTION ? first : `${first.slice(0, MAX_DESCRIPTION).replace(/\s+\S*$/, "")}…`;
}
