import { User } from "../entities/user.entity";
import type { Database } from "../infra/database";
import { toUser, type UserView } from "./accounts.schemas";
import { notFound } from "./errors";
import type { VersionedCache } from "./versioned-cache";

const key = (userId: string) => `users:view:${userId}`;

/**
 * A user's own view (`GET /users/me`) from presence, so that the hot path reads no
 * database row per request. Every service that writes a user calls `changed` after
 * its commit.
 */
export class UserCache {
  constructor(
    private readonly db: Database,
    private readonly cache: VersionedCache,
  ) {}

  async view(userId: string): Promise<UserView> {
    const { value } = await this.cache.get(key(userId), async () => {
      const user = await this.db.manager.findOneBy(User, { id: userId });
      if (!user) throw notFound("user");
      return toUser(user);
    });
    return value;
  }

  changed(userId: string): Promise<void> {
    return this.cache.invalidate(key(userId));
  }
}
