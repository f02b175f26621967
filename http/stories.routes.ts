import type { CharacterExtraction } from "../services/stories/extraction";
import type { StoryEngagement } from "../services/stories/engagement";
import type { StoryService } from "../services/stories/stories";
import { pageOf, pageQuery } from "../services/pagination";
import {
  cancelledView,
  commentBody,
  commentView,
  createStoryBody,
  extractedCharacterView,
  extractionJobView,
  extractionStartedView,
  storiesQuery,
  storyContextView,
  storyIdParams,
  storyJobParams,
  storyView,
  updateStoryBody,
} from "../services/stories/schemas";
import type { Routes } from "./route";

export interface StoryRouteDeps {
  stories: StoryService;
  engagement: StoryEngagement;
  extraction: CharacterExtraction;
}

const READ_ERRORS = { 401: "unauthenticated (private story, no token)", 403: "forbidden", 404: "not_found", 410: "gone" };
const WRITE_ERRORS = { 403: "forbidden", 404: "not_found", 410: "gone" };
const GENERATOR_ERRORS = { 502: "generator_failed", 503: "generator_rate_limited", 504: "generator_timeout" };

export function storyRoutes({ stories, engagement, extraction }: StoryRouteDeps) {
  return (r: Routes) => {
    r.add(
      { method: "post", path: "/stories", tag: "stories", summary: "Write a story", auth: true, body: createStoryBody, response: storyView, location: (story) => `/stories/${story.id}` },
      ({ auth, body }) => stories.create(auth, body),
    );
    r.add(
      { method: "get", path: "/stories", tag: "stories", summary: "Public stories, or the caller's (scope=mine), newest first, by title or summary substring and tag", auth: true, query: storiesQuery, response: pageOf(storyView) },
      ({ auth, query }) => stories.list(auth, query),
    );
    r.add(
      { method: "get", path: "/stories/:id", tag: "stories", summary: "A story: public ones for anyone, private ones for the owner and admins", auth: "optional", params: storyIdParams, response: storyView, errors: READ_ERRORS },
      ({ auth, params }) => stories.get(auth, params.id),
    );
    r.add(
      { method: "get", path: "/stories/:id/context", tag: "stories", summary: "A story with its extracted characters", auth: "optional", params: storyIdParams, response: storyContextView, errors: READ_ERRORS },
      ({ auth, params }) => stories.context(auth, params.id),
    );
    r.add(
      { method: "patch", path: "/stories/:id", tag: "stories", summary: "Edit a story: the owner any field, an admin who is not the owner only is_public", auth: true, params: storyIdParams, body: updateStoryBody, response: storyView, errors: WRITE_ERRORS },
      ({ auth, params, body }) => stories.update(auth, params.id, body),
    );
    r.add(
      { method: "delete", path: "/stories/:id", tag: "stories", summary: "Delete a story (owner or admin); later reads answer 410", auth: true, params: storyIdParams, status: 204, errors: WRITE_ERRORS },
      ({ auth, params }) => stories.remove(auth, params.id),
    );
    r.add(
      { method: "post", path: "/stories/:id/like", tag: "stories", summary: "Like a public story (idempotent)", auth: true, params: storyIdParams, status: 204, errors: { ...WRITE_ERRORS, 403: "story_not_public" } },
      ({ auth, params }) => engagement.like(auth, params.id),
    );
    r.add(
      { method: "delete", path: "/stories/:id/like", tag: "stories", summary: "Take back a like (idempotent)", auth: true, params: storyIdParams, status: 204, errors: { ...WRITE_ERRORS, 403: "story_not_public" } },
      ({ auth, params }) => engagement.unlike(auth, params.id),
    );
    r.add(
      { method: "get", path: "/stories/:id/comments", tag: "stories", summary: "A story's comments, oldest first (a private story's: owner only)", auth: true, params: storyIdParams, query: pageQuery, response: pageOf(commentView), errors: WRITE_ERRORS },
      ({ auth, params, query }) => engagement.comments(auth, params.id, query),
    );
    r.add(
      { method: "post", path: "/stories/:id/comments", tag: "stories", summary: "Comment on a story (a private story: owner only)", auth: true, params: storyIdParams, body: commentBody, response: commentView, errors: WRITE_ERRORS },
      ({ auth, params, body }) => engagement.comment(auth, params.id, body.content),
    );
    r.add(
      { method: "get", path: "/stories/:id/extracted-characters", tag: "stories", summary: "The characters extracted from a story, most mentioned first", auth: "optional", params: storyIdParams, query: pageQuery, response: pageOf(extractedCharacterView), errors: READ_ERRORS },
      ({ auth, params, query }) => extraction.list(auth, params.id, query),
    );
    r.add(
      { method: "post", path: "/stories/:id/extracted-characters/rebuild", tag: "stories", summary: "Extract the characters again, now (replaces the previous extraction)", auth: true, params: storyIdParams, status: 200, response: pageOf(extractedCharacterView), errors: { ...WRITE_ERRORS, ...GENERATOR_ERRORS } },
      ({ auth, params }) => extraction.rebuild(auth, params.id),
    );
    r.add(
      { method: "post", path: "/stories/:id/extracted-characters/rebuild-async", tag: "stories", summary: "Extract the characters again in the background; poll the job", auth: true, params: storyIdParams, status: 202, response: extractionStartedView, errors: WRITE_ERRORS },
      ({ auth, params }) => extraction.rebuildAsync(auth, params.id),
    );
    r.add(
      { method: "get", path: "/stories/:id/extracted-characters/jobs/:job_id", tag: "stories", summary: "An extraction job's status", auth: true, params: storyJobParams, response: extractionJobView, errors: WRITE_ERRORS },
      ({ auth, params }) => extraction.job(auth, params.id, params.job_id),
    );
    r.add(
      { method: "post", path: "/stories/:id/extracted-characters/jobs/:job_id/cancel", tag: "stories", summary: "Cancel a running extraction job; its partial results are removed", auth: true, params: storyJobParams, status: 200, response: cancelledView, errors: { ...WRITE_ERRORS, 409: "job_finished" } },
      ({ auth, params }) => extraction.cancel(auth, params.id, params.job_id),
    );
  };
}
