import { z } from "zod";
import { SITE_ROLES, type Site, type SiteRole } from "../../entities/site.entity";

export const siteRole = z.enum(SITE_ROLES);

export const createSiteBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    slug: z
      .string()
      .min(2)
      .max(64)
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "may contain only lower-case letters, digits and single hyphens between them"),
  })
  .meta({ id: "CreateSiteRequest" });
export type CreateSiteInput = z.output<typeof createSiteBody>;

export const addMemberBody = z.strictObject({ user_id: z.uuid(), site_role: siteRole }).meta({ id: "AddSiteMemberRequest" });
export type AddMemberInput = z.output<typeof addMemberBody>;

export const selectSiteBody = z.strictObject({ site_id: z.uuid() }).meta({ id: "SelectSiteRequest" });

export const siteIdParams = z.object({ id: z.string() });
export const memberParams = z.object({ id: z.string(), user_id: z.string() });

export const siteView = z
  .object({ id: z.uuid(), name: z.string(), slug: z.string(), created_at: z.string() })
  .meta({ id: "Site" });
export type SiteView = z.infer<typeof siteView>;

/** A site the caller belongs to, with what they are there. */
export const mySiteView = siteView.extend({ site_role: siteRole }).meta({ id: "MySite" });
export type MySiteView = z.infer<typeof mySiteView>;

export const memberView = z.object({ user_id: z.uuid(), username: z.string(), site_role: siteRole }).meta({ id: "SiteMember" });
export type MemberView = z.infer<typeof memberView>;

export const toSite = (s: Site): SiteView => ({ id: s.id, name: s.name, slug: s.slug, created_at: s.createdAt.toISOString() });
export const toMySite = (s: Site, role: SiteRole): MySiteView => ({ ...toSite(s), site_role: role });
