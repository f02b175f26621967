import { adminUser, api } from "./api";

/**
 * The newest outbox mail to `to` (read as the bootstrap admin, as an operator would)
 * and the token it carries.
 */
export async function latestMail(to: string, base?: string): Promise<{ subject: string; body: string; token: string } | undefined> {
  const admin = await adminUser(base);
  const res = await api("GET", "/api/v1/admin/outbox?limit=100", { token: admin.token, base });
  if (res.status !== 200) throw new Error(`outbox: ${res.status}`);
  const mail = (res.body.items as { to: string; subject: string; body: string }[]).find((m) => m.to === to.toLowerCase() || m.to === to);
  if (!mail) return undefined;
  const token = /\n\n([A-Za-z0-9_-]{43})\n\n/.exec(mail.body)?.[1];
  if (!token) throw new Error(`no token in mail: ${mail.body}`);
  return { subject: mail.subject, body: mail.body, token };
}

export const strongPassword = "another-secret-9";
