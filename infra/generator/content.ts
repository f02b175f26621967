import { z } from "zod";

/**
 * The shapes a model must answer in, checked before anything is used: a provider's
 * JSON is untrusted input like any other. Quick-create content is held to the product
 * rules here (a greeting, one to three start sets, exactly two endings).
 */

const text = (max: number) => z.string().trim().min(1).max(max);

export const quickCreateContent = z.object({
  description: text(4000),
  greeting: text(2000),
  start_sets: z.array(z.object({ title: text(200), intro: z.string().trim().max(4000), first_line: text(2000) })).min(1).max(3),
  endings: z.array(z.object({ title: text(200), condition: text(2000), content: text(4000) })).length(2),
  tags: z.array(z.string()).max(20).default([]),
});

export const extractedCharacters = z.object({
  characters: z.array(z.object({ name: text(100), description: z.string().trim().max(1000).default("") })).max(50),
});

export const offeredChoices = z.object({ choices: z.array(text(200)).max(10) });

/** The JSON object in a model's answer, tolerating a fenced code block or words around it. */
export function jsonIn(answer: string): unknown {
  const start = answer.indexOf("{");
  const end = answer.lastIndexOf("}");
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(answer.slice(start, end + 1));
  } catch {
    return undefined;
  }
}
