import { TEST_ENV } from "./backend";
import { baseUrl } from "./server";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A plain HTTP call against the test server (or `base`, a spawned one); JSON in, JSON (or problem JSON) out. */
export async function api<T = any>(
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string; base?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers["content-type"] ??= "application/json";
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch((options.base ?? baseUrl()) + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if (text && /json/.test(res.headers.get("content-type") ?? "")) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

let counter = 0;
/** A unique, valid username for this run. */
export const uniqueName = (prefix = "user") =>
  `${prefix}_${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${(counter++).toString(36)}`.slice(0, 32);

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

/** Registers and logs in a fresh player through the public API. */
export async function newUser(prefix = "user"): Promise<TestUser> {
  const username = uniqueName(prefix);
  const email = `${username}@example.test`;
  const password = "correct-horse-1";
  const reg = await api("POST", "/api/v1/auth/register", { body: { username, email, password } });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await api("POST", "/api/v1/auth/login", { body: { username, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: reg.body.id, username, email, password, token: login.body.access_token, refreshToken: login.body.refresh_token };
}

/** Logs in as the admin that BOOTSTRAP_ADMIN_* (TEST_ENV) creates on start; returns its access token. */
export async function adminUser(base?: string): Promise<{ id: string; token: string }> {
  const login = await api("POST", "/api/v1/auth/login", {
    body: { username: TEST_ENV.BOOTSTRAP_ADMIN_USERNAME, password: TEST_ENV.BOOTSTRAP_ADMIN_PASSWORD },
    base,
  });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: login.body.user.id, token: login.body.access_token };
}

/** A fresh user granted `roles` by the bootstrap admin, logged in again so the token carries them. */
export async function userWithRoles(prefix: string, roles: string[]): Promise<TestUser> {
  const user = await newUser(prefix);
  const admin = await adminUser();
  const patch = await api("PATCH", `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { roles } });
  if (patch.status !== 200) throw new Error(`granting roles failed: ${patch.status} ${JSON.stringify(patch.body)}`);
  const login = await api("POST", "/api/v1/auth/login", { body: { username: user.username, password: user.password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { ...user, token: login.body.access_token, refreshToken: login.body.refresh_token };
}
