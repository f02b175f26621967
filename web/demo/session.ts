import { Api, type TokenPair, type User } from "./api";

/** What a signed-in tab keeps; sessionStorage, so another tab signs in as someone else. */
interface Stored {
  accessToken: string;
  /** Absent for a deep link, which carries an access token only: it lasts until it expires. */
  refreshToken?: string;
  /** Epoch milliseconds, from the token's `exp`. */
  expiresAt: number;
  user: User;
}

const STORAGE_KEY = "tavern.demo.session";
/** Refresh this long before expiry, or at 80% of a shorter lifetime. */
const REFRESH_LEAD_MS = 60_000;

/** The `exp` of a JWT, read (not verified: the server does that) to know when to refresh. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    const exp = (JSON.parse(atob(payload)) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export type EndReason = "expired" | "revoked" | "signed_out";

/**
 * The signed-in user and their tokens. The access token is refreshed before it expires
 * (refresh tokens rotate: the new pair replaces the old at once); a refresh refused, or
 * a 401 anywhere, ends the session and the page goes back to the sign-in form.
 */
export class Session {
  readonly api: Api;
  private stored?: Stored;
  private timer?: ReturnType<typeof setTimeout>;
  private refreshing?: Promise<void>;
  private readonly endListeners: ((reason: EndReason) => void)[] = [];

  constructor() {
    this.api = new Api(() => this.stored?.accessToken, () => this.end("expired"));
  }

  get user(): User | undefined {
    return this.stored?.user;
  }

  get token(): string | undefined {
    return this.stored?.accessToken;
  }

  /** A deep link signs in without a refresh token. */
  get refreshable(): boolean {
    return this.stored?.refreshToken !== undefined;
  }

  onEnd(listener: (reason: EndReason) => void): void {
    this.endListeners.push(listener);
  }

  /** The session this tab had before a reload, if it is still usable. */
  restore(): boolean {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null") as Stored | null;
      if (!saved || (!saved.refreshToken && saved.expiresAt <= Date.now())) return false;
      this.stored = saved;
      this.schedule();
      return true;
    } catch {
      return false;
    }
  }

  /** `#token=…` (an access token): whose it is comes from `GET /users/me`. */
  async adoptAccessToken(accessToken: string): Promise<void> {
    const expiresAt = expiryOf(accessToken) ?? Date.now() + 15 * 60_000;
    this.stored = { accessToken, expiresAt, user: { id: "", username: "" } };
    const me = await this.api.me();
    this.save({ accessToken, expiresAt, user: { id: me.id, username: me.username } });
  }

  async login(username: string, password: string): Promise<void> {
    this.adopt(await this.api.login({ username, password }));
  }

  async register(username: string, email: string, password: string): Promise<void> {
    await this.api.register({ username, email, password });
    await this.login(username, password);
  }

  /** Revokes the session on the server (best effort) and forgets it here. */
  async signOut(): Promise<void> {
    if (!this.stored) return;
    await this.api.logout().catch(() => undefined);
    this.end("signed_out");
  }

  /** Forgets the session and tells the page; idempotent. */
  end(reason: EndReason): void {
    if (!this.stored) return;
    this.stored = undefined;
    clearTimeout(this.timer);
    sessionStorage.removeItem(STORAGE_KEY);
    for (const listener of this.endListeners) listener(reason);
  }

  private adopt(pair: TokenPair): void {
    const expiresAt = expiryOf(pair.access_token) ?? Date.now() + pair.expires_in * 1000;
    this.save({ accessToken: pair.access_token, refreshToken: pair.refresh_token, expiresAt, user: { id: pair.user.id, username: pair.user.username } });
  }

  private save(stored: Stored): void {
    this.stored = stored;
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const stored = this.stored;
    if (!stored) return;
    const left = stored.expiresAt - Date.now();
    if (!stored.refreshToken) {
      this.timer = setTimeout(() => this.end("expired"), Math.max(0, left));
      return;
    }
    const lead = Math.min(REFRESH_LEAD_MS, left * 0.2);
    this.timer = setTimeout(() => void this.refresh(), Math.max(0, left - lead));
  }

  /** One refresh at a time: the refresh token rotates, so a second use would revoke the family. */
  refresh(): Promise<void> {
    this.refreshing ??= this.rotate().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async rotate(): Promise<void> {
    const refreshToken = this.stored?.refreshToken;
    if (!refreshToken) return;
    try {
      this.adopt(await this.api.refresh(refreshToken));
    } catch (err) {
      // Unreachable server: try again shortly, while the access token may still be good.
      if (err instanceof TypeError && this.stored && this.stored.expiresAt > Date.now()) {
        this.timer = setTimeout(() => void this.refresh(), 5_000);
        return;
      }
      this.end("expired");
    }
  }
}
