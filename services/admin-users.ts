import type { EntityManager } from "typeorm";
import { User, type Role } from "../entities/user.entity";
import type { Database } from "../infra/database";
import { page, type Page, type PageQuery } from "./pagination";
import { withPlayer, type AccountService } from "./accounts";
import { toUser, type UserView } from "./accounts.schemas";
import { DomainError, notFound } from "./errors";
import type { SessionService } from "./sessions";
import type { UserCache } from "./user-cache";
import { isUuid, likePrefix } from "./sql";

/** Account administration, shared by the admin routes, the CLI and the bootstrap admin. */
export class AdminUsers {
  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly sessions: SessionService,
    private readonly users: UserCache,
  ) {}

  async list(q: PageQuery & { q?: string; role?: Role }): Promise<Page<UserView>> {
    const query = this.db.manager.createQueryBuilder(User, "u");
    if (q.q) query.andWhere("(lower(u.username) LIKE :prefix ESCAPE '\\' OR lower(u.email) LIKE :prefix ESCAPE '\\')", { prefix: likePrefix(q.q) });
    if (q.role) query.andWhere(":role = ANY(u.roles)", { role: q.role });
    const [rows, total] = await query.orderBy("u.created_at", "ASC").addOrderBy("u.id").take(q.limit).skip(q.offset).getManyAndCount();
    return page(rows.map(toUser), total, q);
  }

  /** Changes roles and/or the active flag; disabling or removing a role ends every session, live ones included. */
  async update(id: string, patch: { roles?: Role[]; is_active?: boolean }): Promise<UserView> {
    if (!isUuid(id)) throw notFound("user");
    const { user, revokeLive } = await this.db.transaction(async (m) => {
      const user = await m.findOne(User, { where: { id }, lock: { mode: "pessimistic_write" } });
      if (!user) throw notFound("user");
      return this.apply(m, user, patch);
    });
    await this.users.changed(user.id);
    await revokeLive?.();
    return toUser(user);
  }

  create(
    input: { username: string; email: string; password: string },
    options: { roles?: Role[]; verified?: boolean },
  ): Promise<UserView> {
    return this.accounts.create(input, options);
  }

  async grant(username: string, role: Role): Promise<UserView> {
    return this.byUsername(username, (user) => ({ roles: [...user.roles, role] }));
  }

  async disable(username: string): Promise<UserView> {
    return this.byUsername(username, () => ({ is_active: false }));
  }

  /**
   * BOOTSTRAP_ADMIN_*: idempotent, and safe when several processes start at once. An
   * existing account is made admin only when both its username and its email are the
   * configured ones: a player who registered the name first gains nothing. Any other
   * clash is a 409 `bootstrap_conflict` that names it, for the operator to resolve.
   */
  async ensureAdmin(input: { username: string; email: string; password: string }): Promise<UserView> {
    const existing = await findByUsername(this.db.manager, input.username);
    if (existing) return this.grantBootstrapped(existing, input);
    try {
      return await this.accounts.create(input, { roles: ["admin"], verified: true });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err.code === "username_taken") {
        const winner = await findByUsername(this.db.manager, input.username);
        if (winner) return this.grantBootstrapped(winner, input);
      }
      if (err.code === "email_taken") {
        throw bootstrapConflict(`the email ${input.email} belongs to another account than ${input.username}`);
      }
      throw err;
    }
  }

  private grantBootstrapped(user: User, input: { username: string; email: string }): Promise<UserView> {
    if (user.email.toLowerCase() !== input.email.toLowerCase()) {
      throw bootstrapConflict(`the account ${user.username} exists with another email than ${input.email}; it is not made an admin`);
    }
    return this.grant(user.username, "admin");
  }

  private async byUsername(username: string, patch: (user: User) => { roles?: Role[]; is_active?: boolean }): Promise<UserView> {
    const { user, revokeLive } = await this.db.transaction(async (m) => {
      const found = await findByUsername(m, username, true);
      if (!found) throw notFound("user");
      return this.apply(m, found, patch(found));
    });
    await this.users.changed(user.id);
    await revokeLive?.();
    return toUser(user);
  }

  /**
   * Roles travel in access tokens, so a role taken away would otherwise last
   * until the token expires: removing one ends the user's sessions, as disabling does.
   * A granted role arrives with the next login or refresh.
   */
  private async apply(m: EntityManager, user: User, patch: { roles?: Role[]; is_active?: boolean }) {
    const disabling = patch.is_active === false && user.isActive;
    const roles = patch.roles ? withPlayer(patch.roles) : user.roles;
    const demoting = user.roles.some((role) => !roles.includes(role));
    user.roles = roles;
    if (patch.is_active !== undefined) user.isActive = patch.is_active;
    await m.update(User, { id: user.id }, { roles: user.roles, isActive: user.isActive });
    const revokeLive = disabling || demoting ? await this.sessions.revokeAll(m, user.id) : undefined;
    return { user, revokeLive };
  }
}

const bootstrapConflict = (detail: string) => new DomainError(409, "bootstrap_conflict", `BOOTSTRAP_ADMIN_*: ${detail}.`);

function findByUsername(m: EntityManager, username: string, lock = false): Promise<User | null> {
  const query = m.createQueryBuilder(User, "u").where("lower(u.username) = lower(:username)", { username });
  if (lock) query.setLock("pessimistic_write");
  return query.getOne();
}
