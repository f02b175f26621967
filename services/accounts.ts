import type { EntityManager } from "typeorm";
import { PreverifiedEmail } from "../entities/email.entity";
import { User, type Role } from "../entities/user.entity";
import type { Database } from "../infra/database";
import { toUser, type TokenPairView, type UserView } from "./accounts.schemas";
import { conflict, DomainError, notFound } from "./errors";
import { passwordProblems, weakPassword } from "./password-policy";
import type { PasswordHasher } from "./passwords";
import type { SessionService } from "./sessions";
import type { UserCache } from "./user-cache";
import { uniqueViolation } from "./sql";
import type { AuthClaims } from "./tokens";

export interface AccountPolicy {
  requireEmailVerification: boolean;
}

/** Hooks other account flows plug into (verification mail on register). */
export interface RegistrationHooks {
  afterRegister?: (manager: EntityManager, user: User) => Promise<void>;
}

/** Registration, login and the caller's own account. */
export class AccountService {
  constructor(
    private readonly db: Database,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly users: UserCache,
    private readonly policy: AccountPolicy,
    private readonly hooks: RegistrationHooks = {},
  ) {}

  register(input: { username: string; email: string; password: string }): Promise<UserView> {
    return this.create(input);
  }

  /** Registration, and account creation by operators (CLI, bootstrap admin) with roles. */
  async create(
    input: { username: string; email: string; password: string },
    options: { roles?: Role[]; verified?: boolean } = {},
  ): Promise<UserView> {
    const weakness = passwordProblems(input.password, input);
    if (weakness.length > 0) throw weakPassword(weakness);
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.db.transaction(async (m) => {
      await this.assertAvailable(m, input.username, input.email);
      const preverified = await m
        .createQueryBuilder(PreverifiedEmail, "p")
        .where("p.email = lower(:email) AND p.expires_at > now()", { email: input.email })
        .getOne();
      const created = await insertUnique(m, {
        username: input.username,
        email: input.email,
        passwordHash,
        roles: withPlayer(options.roles ?? []),
        isVerified: options.verified === true || preverified !== null,
      });
      if (preverified) await m.delete(PreverifiedEmail, { email: preverified.email });
      if (!created.isVerified) await this.hooks.afterRegister?.(m, created);
      return created;
    });
    return toUser(user);
  }

  async login(input: { username: string; password: string }): Promise<TokenPairView> {
    const found = await this.findByLogin(input.username);
    const ok = found ? await this.passwords.verify(found.passwordHash, input.password) : await this.passwords.verifyNothing(input.password);
    if (!found || !ok) throw invalidCredentials();
    this.assertMayLogIn(found);
    // The hash is slow, so it is checked outside the transaction; inside, with the row
    // locked, everything is checked again: a disable or a password reset that committed
    // meanwhile (and revoked every session) must not be followed by a new session.
    const pair = await this.db.transaction(async (m) => {
      const user = await m.findOne(User, { where: { id: found.id }, lock: { mode: "pessimistic_write" } });
      if (!user || user.passwordHash !== found.passwordHash) throw invalidCredentials();
      this.assertMayLogIn(user);
      user.lastLoginAt = new Date();
      await m.update(User, { id: user.id }, { lastLoginAt: user.lastLoginAt });
      return this.sessions.open(m, user);
    });
    await this.users.changed(found.id);
    return pair;
  }

  private assertMayLogIn(user: User) {
    if (!user.isActive) throw new DomainError(401, "account_disabled", "This account is disabled.");
    if (this.policy.requireEmailVerification && !user.isVerified) {
      throw new DomainError(403, "email_not_verified", "Verify your email address before logging in.");
    }
  }

  /** The one name of an account, whichever of its names (username, email) was typed; rate limits count by it. */
  async accountKey(login: string): Promise<string> {
    const user = await this.findByLogin(login);
    return user ? `user:${user.id}` : `login:${login.toLowerCase()}`;
  }

  me(claims: AuthClaims): Promise<UserView> {
    return this.users.view(claims.userId);
  }

  /** Keeps the caller's session and ends every other one, as a password change should. */
  async changePassword(claims: AuthClaims, input: { current_password: string; new_password: string }): Promise<void> {
    const user = await this.db.manager.findOneBy(User, { id: claims.userId });
    if (!user) throw notFound("user");
    if (!(await this.passwords.verify(user.passwordHash, input.current_password))) {
      throw new DomainError(401, "invalid_credentials", "The current password is wrong.");
    }
    const weakness = passwordProblems(input.new_password, user);
    if (weakness.length > 0) throw weakPassword(weakness, "new_password");
    const passwordHash = await this.passwords.hash(input.new_password);
    const revokeLive = await this.db.transaction(async (m) => {
      await m.update(User, { id: user.id }, { passwordHash });
      return this.sessions.revokeAll(m, user.id, claims.sid);
    });
    await this.users.changed(user.id);
    await revokeLive();
  }

  private findByLogin(login: string): Promise<User | null> {
    return this.db.manager
      .createQueryBuilder(User, "u")
      .where(login.includes("@") ? "lower(u.email) = lower(:login)" : "lower(u.username) = lower(:login)", { login })
      .getOne();
  }

  private async assertAvailable(m: EntityManager, username: string, email: string) {
    const taken = await m
      .createQueryBuilder(User, "u")
      .select(["u.username", "u.email"])
      .where("lower(u.username) = lower(:username) OR lower(u.email) = lower(:email)", { username, email })
      .getMany();
    if (taken.some((u) => u.username.toLowerCase() === username.toLowerCase())) throw usernameTaken();
    if (taken.some((u) => u.email.toLowerCase() === email.toLowerCase())) throw emailTaken();
  }
}

/** Every user is a player; other roles come on top. */
export const withPlayer = (roles: Role[]): Role[] => [...new Set<Role>(["player", ...roles])];
const invalidCredentials = () => new DomainError(401, "invalid_credentials", "The username or password is wrong.");
const usernameTaken = () => conflict("username_taken", "This username is already taken.");
const emailTaken = () => conflict("email_taken", "This email is already registered.");

/** Inserts a user; a concurrent duplicate caught by the unique indexes is the same 409. */
export async function insertUnique(m: EntityManager, fields: Partial<User>): Promise<User> {
  try {
    return await m.save(m.create(User, fields));
  } catch (err) {
    const constraint = uniqueViolation(err);
    if (constraint === "users_username_lower") throw usernameTaken();
    if (constraint === "users_email_lower") throw emailTaken();
    throw err;
  }
}
