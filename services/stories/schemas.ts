import { z } from "zod";
import type { ExtractedCharacterRow, StoryExtractionJob, StoryGenerationJob } from "../../entities/story-job.entity";
import type { Story } from "../../entities/story.entity";
import { pageQuery } from "../pagination";

/** Stories are long; the JSON body limit (BODY_LIMIT) bounds them first. */
export const MAX_CONTENT = 60_000;

const title = z.string().trim().min(1).max(200);
const content = z.string().trim().min(1).max(MAX_CONTENT);
const summary = z.string().trim().max(1000);
const genre = z.string().trim().min(1).max(40);
const tags = z.array(z.string().trim().toLowerCase().min(1).max(32)).max(20);

export const createStoryBody = z
  .strictObject({ title, content, summary: summary.optional(), genre: genre.optional(), tags: tags.optional(), is_public: z.boolean().optional() })
  .meta({ id: "CreateStoryRequest" });
export type CreateStoryInput = z.output<typeof createStoryBody>;

export const updateStoryBody = z
  .strictObject({
    title: title.optional(),
    content: content.optional(),
    summary: summary.optional(),
    genre: genre.nullable().optional(),
    tags: tags.optional(),
    is_public: z.boolean().optional(),
  })
  .meta({ id: "UpdateStoryRequest" });
export type UpdateStoryInput = z.output<typeof updateStoryBody>;

export const storiesQuery = pageQuery.extend({
  scope: z.enum(["public", "mine"]).default("public"),
  q: z.string().trim().max(100).optional(),
  tag: z.string().trim().toLowerCase().min(1).max(32).optional(),
});
export type StoriesQuery = z.output<typeof storiesQuery>;

export const storyIdParams = z.object({ id: z.string() });
export const storyJobParams = z.object({ id: z.string(), job_id: z.string() });
export const generationJobParams = z.object({ job_id: z.string() });

export const commentBody = z.strictObject({ content: z.string().trim().min(1).max(2000) }).meta({ id: "StoryCommentRequest" });

export const generateBody = z
  .strictObject({
    prompt: z.string().trim().min(1).max(2000),
    genre: genre.optional(),
    length: z.enum(["short", "medium", "long"]).optional(),
  })
  .meta({ id: "GenerateStoryRequest" });
export type GenerateInput = z.output<typeof generateBody>;

export const storyView = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid(),
    title: z.string(),
    summary: z.string(),
    content: z.string(),
    genre: z.string().nullable(),
    tags: z.array(z.string()),
    is_public: z.boolean(),
    like_count: z.number().int(),
    comment_count: z.number().int(),
    chat_starts: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Story" });
export type StoryView = z.infer<typeof storyView>;

export const extractedCharacterView = z
  .object({ id: z.uuid(), name: z.string(), description: z.string(), mentions: z.number().int() })
  .meta({ id: "ExtractedCharacter" });
export type ExtractedCharacterView = z.infer<typeof extractedCharacterView>;

export const storyContextView = storyView.extend({ extracted_characters: z.array(extractedCharacterView) }).meta({ id: "StoryContext" });

export const commentView = z
  .object({ id: z.uuid(), story_id: z.uuid(), author_id: z.uuid(), author_username: z.string(), content: z.string(), created_at: z.string() })
  .meta({ id: "StoryComment" });
export type CommentView = z.infer<typeof commentView>;

export const generationJobView = z
  .object({
    job_id: z.uuid(),
    status: z.enum(["queued", "generating", "completed", "failed", "cancelled"]),
    prompt: z.string(),
    genre: z.string().nullable(),
    length: z.string(),
    story_id: z.uuid().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "StoryGenerationJob" });
export type GenerationJobView = z.infer<typeof generationJobView>;

export const extractionStartedView = z.object({ job_id: z.uuid(), status: z.literal("in_progress") }).meta({ id: "ExtractionStarted" });

export const extractionJobView = z
  .object({
    job_id: z.uuid(),
    status: z.enum(["in_progress", "completed", "cancelled", "failed", "error"]),
    result_count: z.number().int().optional(),
    error: z.string().optional(),
  })
  .meta({ id: "ExtractionJob" });
export type ExtractionJobView = z.infer<typeof extractionJobView>;

export const cancelledView = z.object({ status: z.literal("cancelled") }).meta({ id: "ExtractionCancelled" });

/** The SSE stream of POST /stories/generate/stream, described for /openapi.json. */
export const generationStream = z.string().meta({
  id: "StoryGenerationStream",
  description:
    "text/event-stream: `job` {job_id, status: \"queued\"}, `status` {status: \"generating\"}, `delta` {text}…, " +
    "then last `done` {job_id, story_id, text} or `error` {code, message}.",
});

export const toStory = (s: Story, chatStarts: number): StoryView => ({
  id: s.id,
  owner_id: s.ownerId,
  title: s.title,
  summary: s.summary,
  content: s.content,
  genre: s.genre,
  tags: s.tags,
  is_public: s.isPublic,
  like_count: s.likeCount,
  comment_count: s.commentCount,
  chat_starts: chatStarts,
  created_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
});

export const toExtracted = (c: ExtractedCharacterRow): ExtractedCharacterView => ({
  id: c.id,
  name: c.name,
  description: c.description,
  mentions: c.mentions,
});

export const toGenerationJob = (j: StoryGenerationJob): GenerationJobView => ({
  job_id: j.id,
  status: j.status,
  prompt: j.prompt,
  genre: j.genre,
  length: j.length,
  story_id: j.storyId,
  error: j.errorCode ? { code: j.errorCode, message: j.errorMessage ?? "" } : null,
  created_at: j.createdAt.toISOString(),
  updated_at: j.updatedAt.toISOString(),
});

export const toExtractionJob = (j: Pick<StoryExtractionJob, "id" | "status" | "resultCount" | "error">): ExtractionJobView => ({
  job_id: j.id,
  status: j.status,
  ...(j.resultCount !== null ? { result_count: j.resultCount } : {}),
  ...(j.error !== null ? { error: j.error } : {}),
});
