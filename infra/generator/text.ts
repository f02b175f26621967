/** Text helpers the generators share. */

/** Text split into word-sized pieces that keep their trailing whitespace: the built-in's stream. */
export function wordChunks(text: string): string[] {
  return text.match(/\s*\S+\s*/gy) ?? (text ? [text] : []);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Fills `{slot}`s from `values`; the first letter of each sentence is capitalised. */
export function fill(template: string, values: Record<string, string>): string {
  const text = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template slot {${key}} has no value`);
    return value;
  });
  return text.replace(/(^|[.!?…]["”’)]?\s+)(\p{Ll})/gu, (_, before: string, letter: string) => before + letter.toUpperCase());
}

export const sentenceCase = capitalise;

const INSTRUCTION = /^(please\s+)?((write|tell|give)\s+(me\s+)?)?(an?\s+)?((short|long|little|quick)\s+)?(story|tale)\s+(about|of|where|in which|set in)\s+/i;

/** The prompt as a clause that reads inside a sentence: no "write a story about", no final stop, bounded. */
export function premiseOf(prompt: string): string {
  let clause = prompt.replace(/\s+/g, " ").trim().replace(INSTRUCTION, "").replace(/[.!?;:,\s]+$/, "");
  if (clause.length > 240) clause = `${clause.slice(0, 240).replace(/\s+\S*$/, "")}…`;
  if (!clause) return "a rumour nobody could trace";
  const [first, second] = clause;
  // Keep "I", acronyms and proper nouns as written.
  const keepCase = /^I\b/.test(clause) || (second !== undefined && second === second.toUpperCase() && second !== second.toLowerCase());
  return keepCase ? clause : first!.toLowerCase() + clause.slice(1);
}
