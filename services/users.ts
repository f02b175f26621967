import { User } from "../entities/user.entity";
import type { Database } from "../infra/database";
import { page, type Page, type PageQuery } from "./pagination";
import { toPublicUser, toUserSummary } from "./accounts.schemas";
import { notFound } from "./errors";
import { isUuid, likePrefix } from "./sql";

/** What any signed-in user may see of others: names, to find someone to talk to. */
export class UserDirectory {
  constructor(private readonly db: Database) {}

  async search(q: PageQuery & { q?: string }): Promise<Page<ReturnType<typeof toUserSummary>>> {
    const query = this.db.manager.createQueryBuilder(User, "u").select(["u.id", "u.username"]);
    if (q.q) query.where("lower(u.username) LIKE :prefix ESCAPE '\\'", { prefix: likePrefix(q.q) });
    const [rows, total] = await query.orderBy("lower(u.username)").addOrderBy("u.id").take(q.limit).skip(q.offset).getManyAndCount();
    return page(rows.map(toUserSummary), total, q);
  }

  async get(id: string): Promise<ReturnType<typeof toPublicUser>> {
    // A malformed id names no user, like an unknown one.
    const user = isUuid(id) ? await this.db.manager.findOneBy(User, { id }) : null;
    if (!user) throw notFound("user");
    return toPublicUser(user);
  }
}
