import type { EntityManager, SelectQueryBuilder } from "typeorm";
import { Interaction, InteractionAudit, type AuditAction, type FieldChanges } from "../../entities/interaction.entity";
import { Site, SiteMember } from "../../entities/site.entity";
import { badRequest, forbidden } from "../errors";
import { isUuid, likeContains } from "../sql";
import { hasRole, type AuthClaims } from "../tokens";
import type { InteractionFilters } from "./interactions.schemas";

/**
 * Site scoping, in one place. Every query of `interactions` and `interaction_audit` is
 * in this module and starts from a `SiteScope`, which only `SiteScope.resolve` builds:
 * from verified claims and a membership read in the same request. Nothing else in the
 * code base queries those tables (test/unit/site-scope.test.ts holds it to that).
 */

export const noActiveSite = () => badRequest("no_active_site", "Choose a site first: POST /auth/site.");

/**
 * Whether the user of `claims` may act on `siteId` now: a member, or an admin (who can
 * do everything) on a site that exists. Read per request, never cached, so a removed
 * member is refused on their next request whatever token they hold. `lock` holds the
 * membership row until the caller's transaction ends, so a removal waits for a write
 * already under way instead of racing it.
 */
export async function mayActOn(m: EntityManager, claims: AuthClaims, siteId: string, lock = false): Promise<boolean> {
  if (!isUuid(siteId)) return false;
  const membership = m
    .createQueryBuilder(SiteMember, "sm")
    .select("sm.site_role", "site_role")
    .where("sm.site_id = :siteId AND sm.user_id = :userId", { siteId, userId: claims.userId });
  if (lock) membership.setLock("pessimistic_read");
  if (await membership.getRawOne()) return true;
  return hasRole(claims, "admin") && (await m.existsBy(Site, { id: siteId }));
}

/** The right to act on the active site of a token, checked for this request. */
export class SiteScope {
  private constructor(
    readonly siteId: string,
    readonly userId: string,
  ) {}

  /** 400 `no_active_site` without a site claim; 403 `forbidden` unless `mayActOn` it. */
  static async resolve(m: EntityManager, claims: AuthClaims, lock = false): Promise<SiteScope> {
    if (!claims.siteId) throw noActiveSite();
    if (!(await mayActOn(m, claims, claims.siteId, lock))) throw forbidden("You are not a member of this site.");
    return new SiteScope(claims.siteId, claims.userId);
  }
}

/**
 * The interactions of the scope's site. The site is a join condition rather than a
 * WHERE clause because TypeORM's `.where()` replaces the conditions before it: a
 * filter added later with `.where` instead of `.andWhere` cannot drop a join.
 */
function interactionsOf(m: EntityManager, scope: SiteScope): SelectQueryBuilder<Interaction> {
  return m
    .createQueryBuilder(Interaction, "i")
    .innerJoin(Site, "scope_site", "scope_site.id = i.site_id AND scope_site.id = :scopeSiteId", { scopeSiteId: scope.siteId });
}

function auditOf(m: EntityManager, scope: SiteScope): SelectQueryBuilder<InteractionAudit> {
  return m
    .createQueryBuilder(InteractionAudit, "a")
    .innerJoin(Site, "scope_site", "scope_site.id = a.site_id AND scope_site.id = :scopeSiteId", { scopeSiteId: scope.siteId });
}

/** One interaction of the scope's site, or null (another site's is null too). `forUpdate` locks that row only. */
export function findInteraction(m: EntityManager, scope: SiteScope, id: string, forUpdate = false): Promise<Interaction | null> {
  if (!isUuid(id)) return Promise.resolve(null);
  const query = interactionsOf(m, scope).andWhere("i.id = :id", { id });
  if (forUpdate) query.setLock("pessimistic_write", undefined, ["i"]);
  return query.getOne();
}

export function listInteractions(m: EntityManager, scope: SiteScope, f: InteractionFilters): Promise<[Interaction[], number]> {
  const query = interactionsOf(m, scope);
  if (f.type) query.andWhere("i.type = :type", { type: f.type });
  if (f.subject_user_id) query.andWhere("i.subject_user_id = :subject", { subject: f.subject_user_id });
  if (f.character_id) query.andWhere("i.character_id = :character", { character: f.character_id });
  if (f.from) query.andWhere("i.occurred_at >= :from", { from: f.from });
  if (f.to) query.andWhere("i.occurred_at <= :to", { to: f.to });
  if (f.q) query.andWhere("(i.summary ILIKE :q ESCAPE '\\' OR i.details ILIKE :q ESCAPE '\\')", { q: likeContains(f.q) });
  const direction = f.sort === "occurred_at" ? "ASC" : "DESC";
  return query.orderBy("i.occurred_at", direction).addOrderBy("i.id", direction).limit(f.limit).offset(f.offset).getManyAndCount();
}

export type InteractionFields = Pick<Interaction, "type" | "summary" | "details" | "subjectUserId" | "characterId" | "occurredAt">;

/** A new interaction on the scope's site, created and last changed by the scope's user. */
export function insertInteraction(m: EntityManager, scope: SiteScope, fields: InteractionFields): Promise<Interaction> {
  return m.save(m.create(Interaction, { ...fields, siteId: scope.siteId, createdBy: scope.userId, updatedBy: scope.userId }));
}

/** Writes `fields` to an interaction of the scope's site as changed by the scope's user; false if there is none. */
export async function updateInteraction(m: EntityManager, scope: SiteScope, id: string, fields: Partial<InteractionFields>): Promise<boolean> {
  const result = await m
    .createQueryBuilder()
    .update(Interaction)
    .set({ ...fields, updatedBy: scope.userId })
    .where("id = :id AND site_id = :siteId", { id, siteId: scope.siteId })
    .execute();
  return (result.affected ?? 0) > 0;
}

export async function deleteInteraction(m: EntityManager, scope: SiteScope, id: string): Promise<boolean> {
  const result = await m
    .createQueryBuilder()
    .delete()
    .from(Interaction)
    .where("id = :id AND site_id = :siteId", { id, siteId: scope.siteId })
    .execute();
  return (result.affected ?? 0) > 0;
}

/** Appends to the audit trail, in the caller's transaction: the change and its record commit together. */
export async function appendAudit(m: EntityManager, scope: SiteScope, interactionId: string, action: AuditAction, changes: FieldChanges): Promise<void> {
  await m.save(m.create(InteractionAudit, { siteId: scope.siteId, interactionId, action, byUserId: scope.userId, changes }));
}

/** An interaction's audit trail on the scope's site, oldest first; outlives the interaction. */
export function auditTrail(m: EntityManager, scope: SiteScope, interactionId: string, page: { limit: number; offset: number }): Promise<[InteractionAudit[], number]> {
  if (!isUuid(interactionId)) return Promise.resolve([[], 0]);
  return auditOf(m, scope)
    .andWhere("a.interaction_id = :interactionId", { interactionId })
    .orderBy("a.id", "ASC")
    .limit(page.limit)
    .offset(page.offset)
    .getManyAndCount();
}
