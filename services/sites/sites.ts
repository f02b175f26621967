import type { EntityManager } from "typeorm";
import { Site, SiteMember, type SiteRole } from "../../entities/site.entity";
import { User } from "../../entities/user.entity";
import type { Database } from "../../infra/database";
import type { TokenPairView } from "../accounts.schemas";
import { conflict, forbidden, notFound } from "../errors";
import { page, type Page, type PageQuery } from "../pagination";
import type { SessionService } from "../sessions";
import { foreignKeyViolation, isUuid, uniqueViolation } from "../sql";
import { hasRole, type AuthClaims } from "../tokens";
import { mayActOn } from "./scope";
import { toMySite, toSite, type AddMemberInput, type CreateSiteInput, type MemberView, type MySiteView, type SiteView } from "./sites.schemas";

const siteNotFound = () => notFound("site");
const slugTaken = () => conflict("slug_taken", "A site with this slug already exists.");
const alreadyMember = () => conflict("already_member", "This user is already a member of the site.");

/** Sites and their memberships; choosing one as the active site of a session. */
export class SiteService {
  constructor(
    private readonly db: Database,
    private readonly sessions: SessionService,
  ) {}

  /** Admins see every site; anyone else the sites they are a member of. */
  async list(claims: AuthClaims, q: PageQuery): Promise<Page<SiteView>> {
    const query = this.db.manager.createQueryBuilder(Site, "s");
    if (!hasRole(claims, "admin")) {
      query.innerJoin(SiteMember, "sm", "sm.site_id = s.id AND sm.user_id = :userId", { userId: claims.userId });
    }
    const [rows, total] = await query.orderBy("s.name", "ASC").addOrderBy("s.id", "ASC").limit(q.limit).offset(q.offset).getManyAndCount();
    return page(rows.map(toSite), total, q);
  }

  /** The caller's memberships (an admin's too: what they belong to, not what they may reach). */
  async mine(claims: AuthClaims, q: PageQuery): Promise<Page<MySiteView>> {
    const query = this.db.manager
      .createQueryBuilder(Site, "s")
      .innerJoin(SiteMember, "sm", "sm.site_id = s.id AND sm.user_id = :userId", { userId: claims.userId })
      .addSelect("sm.site_role", "site_role")
      .orderBy("s.name", "ASC")
      .addOrderBy("s.id", "ASC");
    const [total, { entities, raw }] = await Promise.all([
      query.getCount(),
      query.clone().limit(q.limit).offset(q.offset).getRawAndEntities<{ site_role: SiteRole }>(),
    ]);
    return page(entities.map((site, i) => toMySite(site, raw[i]!.site_role)), total, q);
  }

  async create(input: CreateSiteInput): Promise<SiteView> {
    const site = await this.db.transaction(async (m) => {
      if (await m.createQueryBuilder(Site, "s").where("lower(s.slug) = lower(:slug)", { slug: input.slug }).getExists()) throw slugTaken();
      try {
        return await m.save(m.create(Site, { name: input.name, slug: input.slug }));
      } catch (err) {
        if (uniqueViolation(err) === "sites_slug") throw slugTaken();
        throw err;
      }
    });
    return toSite(site);
  }

  /** Members and admins; 404 for a site that does not exist, 403 for one the caller is not in. */
  async get(claims: AuthClaims, id: string): Promise<SiteView> {
    const m = this.db.manager;
    const site = await findSite(m, id);
    if (!(await mayActOn(m, claims, site.id))) throw forbidden("You are not a member of this site.");
    return toSite(site);
  }

  /** Who belongs to a site: for its managers and for admins. */
  async members(claims: AuthClaims, id: string, q: PageQuery): Promise<Page<MemberView>> {
    const m = this.db.manager;
    const site = await findSite(m, id);
    if (!hasRole(claims, "admin")) {
      const own = await m.findOne(SiteMember, { where: { siteId: site.id, userId: claims.userId }, select: { siteRole: true } });
      if (own?.siteRole !== "manager") throw forbidden("Only the site's managers may list its members.");
    }
    const query = m
      .createQueryBuilder(SiteMember, "sm")
      .innerJoin(User, "u", "u.id = sm.user_id")
      .select(["sm.user_id AS user_id", "u.username AS username", "sm.site_role AS site_role"])
      .where("sm.site_id = :siteId", { siteId: site.id });
    const [total, rows] = await Promise.all([
      query.getCount(),
      query.clone().orderBy("lower(u.username)", "ASC").addOrderBy("sm.user_id", "ASC").limit(q.limit).offset(q.offset).getRawMany<MemberView>(),
    ]);
    return page(rows.map(({ user_id, username, site_role }) => ({ user_id, username, site_role })), total, q);
  }

  async addMember(siteId: string, input: AddMemberInput): Promise<MemberView> {
    return this.db.transaction(async (m) => {
      const site = await findSite(m, siteId);
      const user = await m.findOne(User, { where: { id: input.user_id }, select: { id: true, username: true } });
      if (!user) throw notFound("user");
      if (await m.existsBy(SiteMember, { siteId: site.id, userId: user.id })) throw alreadyMember();
      try {
        await m.insert(SiteMember, { siteId: site.id, userId: user.id, siteRole: input.site_role });
      } catch (err) {
        if (uniqueViolation(err)) throw alreadyMember();
        if (foreignKeyViolation(err)) throw notFound("user");
        throw err;
      }
      return { user_id: user.id, username: user.username, site_role: input.site_role };
    });
  }

  /** Takes effect on the user's next request: site access reads membership per request. */
  async removeMember(siteId: string, userId: string): Promise<void> {
    const site = await findSite(this.db.manager, siteId);
    const removed = isUuid(userId) ? await this.db.manager.delete(SiteMember, { siteId: site.id, userId }) : undefined;
    if (!removed?.affected) throw notFound("site member");
  }

  /** `POST /auth/site`: a token pair of the caller's session with `site_id`; 403 unless they may act on it. */
  async select(claims: AuthClaims, siteId: string): Promise<TokenPairView> {
    return this.db.transaction(async (m) => {
      if (!(await mayActOn(m, claims, siteId, true))) throw forbidden("You are not a member of this site.");
      return this.sessions.rescope(m, claims, siteId);
    });
  }
}

async function findSite(m: EntityManager, id: string): Promise<Site> {
  const site = isUuid(id) ? await m.findOneBy(Site, { id }) : null;
  if (!site) throw siteNotFound();
  return site;
}
