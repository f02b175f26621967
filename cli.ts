import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config";
import { Database, DataDirectoryInUse } from "./infra/database";
import { createLogger } from "./infra/logger";
import { createPresence } from "./infra/presence";
import { RedisConnections } from "./infra/redis";
import { createAccountServices } from "./services/account-services";
import { parseOrThrow } from "./services/validation";
import { registerBody } from "./services/accounts.schemas";
import { DomainError } from "./services/errors";
import { ROLES, type Role } from "./entities/user.entity";
import { EventBus } from "./infra/events";
import { Notifications } from "./services/notifications";
import { DebitBatches, debitBatchLimits } from "./services/payments/debit-batches";
import { PointService } from "./services/payments/points";

const USAGE = `usage:
  npm run cli -- user create <username> <email> <password> [--role <role>]... [--verified]
  npm run cli -- user grant <username> <role>
  npm run cli -- user disable <username>
  npm run cli -- points verify      users whose balance differs from their ledger's sum (exit 1 if any)
roles: ${ROLES.join(", ")}`;

class UsageError extends Error {}

function role(value: string | undefined): Role {
  if (!value || !(ROLES as readonly string[]).includes(value)) throw new UsageError(`unknown role: ${value ?? "(none)"}`);
  return value as Role;
}

/**
 * Operator commands on accounts and the points ledger, through the same services as the
 * API (the same database and migrations, password policy, and revocation of live sessions).
 */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { role: { type: "string", multiple: true }, verified: { type: "boolean" } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [noun, verb, ...rest] = positionals;
  if ((noun !== "user" && noun !== "points") || !verb) throw new UsageError("unknown command");
  if (noun === "points" && (verb !== "verify" || rest.length > 0)) throw new UsageError(`unknown command: points ${verb}`);

  const cfg = loadConfig();
  const logger = createLogger(cfg.LOG_LEVEL === "info" ? "warn" : cfg.LOG_LEVEL);
  const db = new Database(cfg, logger, { waitForDataDir: false });
  const connections = cfg.REDIS_URL ? new RedisConnections(cfg.REDIS_URL, { commandTimeoutMs: cfg.REDIS_COMMAND_TIMEOUT_MS }, logger) : undefined;
  const { presence } = createPresence(connections, logger);
  try {
    await db.start();
    if (noun === "points") {
      const notifications = new Notifications(presence, new EventBus(presence), logger);
      return await verifyPoints(new PointService(db, notifications, new DebitBatches(db.manager, debitBatchLimits(db.kind))));
    }
    const { adminUsers } = createAccountServices(cfg, db, presence, logger);
    let user;
    if (verb === "create" && rest.length === 3) {
      const [username, email, password] = rest as [string, string, string];
      const input = parseOrThrow(registerBody, { username, email, password });
      user = await adminUsers.create(input, { roles: (values.role ?? []).map(role), verified: values.verified === true });
    } else if (verb === "grant" && rest.length === 2) {
      user = await adminUsers.grant(rest[0]!, role(rest[1]));
    } else if (verb === "disable" && rest.length === 1) {
      user = await adminUsers.disable(rest[0]!);
    } else {
      throw new UsageError(`wrong arguments for "user ${verb}"`);
    }
    process.stdout.write(`${JSON.stringify(user)}\n`);
    return 0;
  } finally {
    await db.stop();
    if (connections) await connections.close();
    else await presence.shutdown();
  }
}

/** Prints the audit as JSON; a mismatch is a failure, so scripts and cron notice it. */
async function verifyPoints(points: PointService): Promise<number> {
  const audit = await points.verify();
  process.stdout.write(`${JSON.stringify(audit)}\n`);
  if (audit.mismatches.length === 0) return 0;
  process.stderr.write(`${audit.mismatches.length} of ${audit.checked} users have a balance that differs from their ledger\n`);
  return 1;
}

function report(err: unknown): number {
  if (err instanceof DomainError) {
    const fields = err.errors?.map((e) => ` ${e.field} ${e.message};`).join("") ?? "";
    process.stderr.write(`error: ${err.code}: ${err.message}${fields}\n`);
    return 1;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n${USAGE}\n`);
    return 1;
  }
  if (err instanceof ConfigError || err instanceof DataDirectoryInUse) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => process.exit(report(err)),
);
