import { quickCreateContent } from "../infra/generator/content";
import { GeneratorError, type Generator } from "../infra/generator/generator";
import type { PresenceLocks } from "../infra/locks";
import type { Logger } from "../infra/logger";
import { REQUEST_ID_INDEX, type CharacterService } from "./characters";
import type { CharacterView, QuickCreateInput } from "./characters.schemas";
import { conflict } from "./errors";
import { asProblem, generatorProblem } from "./generator-errors";
import { uniqueViolation } from "./sql";
import type { AuthClaims } from "./tokens";

const MAX_TAGS = 20;
const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _-]{0,31}$/u;

/**
 * "Quick create (30 s)": a whole public character from five fields. The generated
 * content (greeting, start sets, exactly two endings, tags) is produced first and
 * checked against the rules; then one insert through CharacterService stores it all,
 * so a failure anywhere stores nothing.
 *
 * With a `request_id` it is idempotent per user: a repeat answers the character made
 * the first time. While the first request is still generating, a lease in presence
 * (which spans processes with Redis) turns a parallel duplicate away with 409
 * `request_in_progress`; the unique index on (owner_id, request_id) makes a second
 * character impossible even if a lease expired under a slow generation.
 */
export class QuickCreate {
  constructor(
    private readonly characters: CharacterService,
    private readonly generator: Generator,
    private readonly locks: PresenceLocks,
    private readonly logger: Logger,
    /** Longer than the slowest generation the timeout allows. */
    private readonly leaseSeconds: number,
  ) {}

  async create(claims: AuthClaims, input: QuickCreateInput): Promise<{ character: CharacterView; created: boolean }> {
    const requestId = input.request_id;
    if (!requestId) return { character: await this.build(claims, input), created: true };

    const earlier = await this.characters.byRequestId(claims, requestId);
    if (earlier) return { character: earlier, created: false };
    const release = await this.locks.tryAcquire(`quick-create-30s:${claims.userId}:${requestId}`, this.leaseSeconds);
    if (!release) {
      const finished = await this.characters.byRequestId(claims, requestId);
      if (finished) return { character: finished, created: false };
      throw conflict("request_in_progress", "A quick create with this request_id is still in progress.");
    }
    try {
      // The first request may have finished between our look and our lease.
      const finished = await this.characters.byRequestId(claims, requestId);
      if (finished) return { character: finished, created: false };
      return { character: await this.build(claims, input, requestId), created: true };
    } catch (err) {
      if (uniqueViolation(err) !== REQUEST_ID_INDEX) throw err;
      const winner = await this.characters.byRequestId(claims, requestId);
      if (!winner) throw err;
      return { character: winner, created: false };
    } finally {
      await release().catch((err: unknown) => this.logger.warn({ err, requestId }, "quick-create lease not released"));
    }
  }

  private async build(claims: AuthClaims, input: QuickCreateInput, requestId?: string): Promise<CharacterView> {
    let generated: unknown;
    try {
      generated = await this.generator.quickCreate({
        name: input.name,
        one_line_intro: input.one_line_intro,
        audience_slug: input.audience_slug,
        style_slug: input.style_slug,
        tags: input.tags ?? [],
      });
    } catch (err) {
      throw asProblem(err);
    }
    const content = quickCreateContent.safeParse(generated);
    if (!content.success) throw generatorProblem(new GeneratorError("provider_error", "the generated content broke the quick-create rules"));
    const { description, greeting, start_sets, endings } = content.data;
    return this.characters.create(
      claims,
      { name: input.name, description, greeting, is_public: true, tags: mergeTags(input.tags ?? [], content.data.tags), start_sets, endings },
      { image_url: input.image_url, audience_slug: input.audience_slug, style_slug: input.style_slug, one_line_intro: input.one_line_intro, request_id: requestId },
    );
  }
}

/** The user's tags (already validated) first, then those generated ones that make good tags; lower case, no duplicates. */
function mergeTags(own: string[], suggested: string[]): string[] {
  const generated = suggested.map((t) => t.trim().toLowerCase()).filter((t) => TAG.test(t));
  return [...new Set([...own.map((t) => t.toLowerCase()), ...generated])].slice(0, MAX_TAGS);
}
