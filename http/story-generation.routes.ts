import type { StoryGeneration } from "../services/stories/generation";
import { generateBody, generationJobParams, generationJobView, generationStream } from "../services/stories/schemas";
import type { Routes } from "./route";
import { openEventStream } from "./sse";

/**
 * Story generation as server-sent events. The body is validated and the job recorded
 * before the stream opens (so bad input is still a 400 problem document); from then on
 * every outcome is an event, and a client that hangs up cancels the job.
 */
export function storyGenerationRoutes(generation: StoryGeneration) {
  return (r: Routes) => {
    r.add(
      {
        method: "post",
        path: "/stories/generate/stream",
        tag: "stories",
        summary: "Generate a story, streamed as server-sent events (job, status, delta…, done | error); saved as a private story",
        auth: true,
        body: generateBody,
        status: 200,
        response: generationStream,
        responseType: "text/event-stream",
      },
      async ({ auth, body, req, res }) => {
        const job = await generation.start(auth, body);
        const stream = await openEventStream(req, res);
        try {
          await generation.run(job, (e) => stream.send(e.event, e.data), stream.signal);
        } finally {
          stream.end();
        }
      },
    );
    r.add(
      { method: "get", path: "/stories/generate/jobs/:job_id", tag: "stories", summary: "A story generation job (its owner only)", auth: true, params: generationJobParams, response: generationJobView, errors: { 403: "forbidden", 404: "not_found" } },
      ({ auth, params }) => generation.job(auth, params.job_id),
    );
  };
}
