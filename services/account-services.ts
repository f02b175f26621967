import type { TavernPresence } from "../infra/presence";
import type { Config } from "../config";
import type { Database } from "../infra/database";
import type { Logger } from "../infra/logger";
import { Mailer } from "../infra/mailer";
import { AccountService } from "./accounts";
import { AdminUsers } from "./admin-users";
import { EmailFlows } from "./email-flows";
import { Outbox } from "./outbox";
import { PasswordHasher } from "./passwords";
import { RevocationLedger } from "./revocations";
import { SessionService } from "./sessions";
import { TokenService } from "./tokens";
import { UserCache } from "./user-cache";
import { UserDirectory } from "./users";
import { VersionedCache } from "./versioned-cache";

/**
 * The account services, wired once for the server and for the CLI (which must act
 * exactly as the API does: same policy, same outbox, same revocations).
 */
export function createAccountServices(cfg: Config, db: Database, presence: TavernPresence, logger: Logger) {
  const tokens = new TokenService(cfg, presence, new RevocationLedger(db), logger);
  const passwords = new PasswordHasher(cfg);
  const sessions = new SessionService(db, tokens, cfg);
  const outbox = new Outbox(db, new Mailer(cfg), logger, undefined, cfg.OUTBOX_RETRY_BASE_MS);
  const users = new UserCache(db, new VersionedCache(presence, cfg.USER_CACHE_TTL, logger));
  const emailFlows = new EmailFlows(db, outbox, passwords, sessions, users, cfg);
  const accounts = new AccountService(
    db,
    passwords,
    sessions,
    users,
    { requireEmailVerification: cfg.REQUIRE_EMAIL_VERIFICATION },
    cfg.REQUIRE_EMAIL_VERIFICATION ? { afterRegister: (m, user) => emailFlows.sendVerification(m, user.email, user.id) } : {},
  );
  const directory = new UserDirectory(db);
  const adminUsers = new AdminUsers(db, accounts, sessions, users);
  return { tokens, passwords, sessions, outbox, emailFlows, accounts, directory, adminUsers };
}
