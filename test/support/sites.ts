import { adminUser, api, newUser, uniqueName, type TestUser } from "./api";

/** A site, scoped sessions on it and interactions there, set up through the public API. */

export interface TestSite {
  id: string;
  name: string;
  slug: string;
}

export async function createSite(adminToken?: string): Promise<TestSite> {
  const token = adminToken ?? (await adminUser()).token;
  const name = uniqueName("Realm");
  const res = await api("POST", "/api/v1/sites", { token, body: { name, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, "-") } });
  if (res.status !== 201) throw new Error(`site creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function addMember(siteId: string, userId: string, siteRole: "staff" | "manager" = "staff") {
  const admin = await adminUser();
  const res = await api("POST", `/api/v1/sites/${siteId}/users`, { token: admin.token, body: { user_id: userId, site_role: siteRole } });
  if (res.status !== 201) throw new Error(`adding a member failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** POST /auth/site; the user's token and refresh token become the scoped pair. */
export async function selectSite(user: TestUser, siteId: string): Promise<TestUser> {
  const res = await api("POST", "/api/v1/auth/site", { token: user.token, body: { site_id: siteId } });
  if (res.status !== 200) throw new Error(`choosing a site failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...user, token: res.body.access_token, refreshToken: res.body.refresh_token };
}

/** A fresh user who is a member of `siteId` and has it as the active site. */
export async function siteMember(siteId: string, siteRole: "staff" | "manager" = "staff", prefix = "staff"): Promise<TestUser> {
  const user = await newUser(prefix);
  await addMember(siteId, user.id, siteRole);
  return selectSite(user, siteId);
}

/** The claims of a JWT, read without verifying it (the server did). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
}

export async function createInteraction(token: string, body: Record<string, unknown>) {
  const res = await api("POST", "/api/v1/interactions", { token, body });
  if (res.status !== 201) throw new Error(`interaction creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
