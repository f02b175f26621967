/** The REST API of the same server (described at /docs), as this page uses it. */

export interface User {
  id: string;
  username: string;
}

export interface TokenPair {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  user: User;
}

export interface Character {
  id: string;
  name: string;
  class: string;
  position?: { x: number; y: number };
}

export interface Message {
  id: string;
  sender_id: string;
  sender_username: string;
  recipient_id: string;
  content: string;
  client_msg_id: string | null;
  created_at: string;
}

export interface Conversation {
  user_id: string;
  username: string;
  last_message: string;
  last_at: string;
  unread_count: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** A problem document (RFC 9457) turned into an exception; `code` is what the page switches on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(detail);
  }

  /** The detail, followed by each offending field, for showing to a person. */
  describe(): string {
    return [this.message, ...this.errors.map((e) => `${e.field}: ${e.message}`)].join(" ");
  }
}

const BASE = "/api/v1";

/** `token` is asked on every call, so a refreshed token is used as soon as it exists. */
export class Api {
  constructor(
    private readonly token: () => string | undefined,
    /** Told of a 401 on a signed-in call: the session is over. */
    private readonly onUnauthenticated: () => void = () => undefined,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 204) return undefined as T;
    const data = await res.json().catch(() => undefined);
    if (!res.ok) {
      if (res.status === 401 && token) this.onUnauthenticated();
      throw new ApiError(res.status, data?.code ?? "http_error", data?.detail ?? res.statusText, data?.errors);
    }
    return data as T;
  }

  register = (body: { username: string; email: string; password: string }) => this.call<User>("POST", "/auth/register", body);
  login = (body: { username: string; password: string }) => this.call<TokenPair>("POST", "/auth/login", body);
  refresh = (refreshToken: string) => this.call<TokenPair>("POST", "/auth/refresh", { refresh_token: refreshToken });
  logout = () => this.call<void>("POST", "/auth/logout");
  me = () => this.call<User>("GET", "/users/me");
  searchUsers = (q: string) => this.call<Page<User>>("GET", `/users?q=${encodeURIComponent(q)}&limit=100`);

  characters = () => this.call<Page<Character>>("GET", "/characters?limit=100");
  createCharacter = (name: string) => this.call<Character>("POST", "/characters", { name });

  conversations = () => this.call<Page<Conversation>>("GET", "/messages/conversations?limit=100");
  history = (peerId: string, limit = 50) => this.call<Page<Message>>("GET", `/messages/dm/${encodeURIComponent(peerId)}?limit=${limit}`);
  markRead = (peerId: string, messageId: string) =>
    this.call<void>("POST", `/messages/dm/${encodeURIComponent(peerId)}/read`, { message_id: messageId });
}
