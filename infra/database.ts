import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Client as PgClient } from "pg";
import lockfile from "proper-lockfile";
import { DataSource, QueryRunnerAlreadyReleasedError, type EntityManager } from "typeorm";
import type { Config } from "../config";
import { entities } from "../entities";
import { migrations } from "../entities/migrations";
import { CommitOutcomeUnknown, ConnectionLost, isConnectionError } from "./database-errors";
import type { Logger } from "./logger";
import { OutageMonitor } from "./outage";
import { createPGliteDriver, pgliteSerializers } from "./pglite-pool";

export type DatabaseKind = "pglite" | "postgres";

/** A second process opening an embedded data directory that a running one holds. */
export class DataDirectoryInUse extends Error {
  constructor(readonly dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by a running Tavern server. The embedded database belongs to one process: ` +
        "stop the server first, or run the server and this command on Postgres and Redis (DATABASE_URL, REDIS_URL).",
    );
    this.name = "DataDirectoryInUse";
  }
}

/** Arbitrary but fixed key: every Tavern process migrates under this advisory lock. */
const MIGRATION_LOCK_KEY = 7_204_117;
const READY_TIMEOUT_MS = 2000;
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

/** How long a start waits for Postgres to accept connections before giving up (see `whileUnreachable`). */
const START_WAIT_MS = 30_000;

/**
 * The one relational store. Embedded PGlite when `DATABASE_URL` is unset (on disk in
 * `DATA_DIR`) or `pglite://memory`; a Postgres server otherwise. Same SQL, same
 * migrations, either way.
 */
export class Database {
  readonly dataSource: DataSource;
  readonly kind: DatabaseKind;
  /** Postgres reachable or not, as the pool's connection attempts show it; logs each outage once. */
  readonly outage: OutageMonitor;
  /** The on-disk PGlite directory, locked for as long as this process has it open. */
  private readonly dataDir?: string;
  private unlock?: () => Promise<void>;

  /**
   * `waitForDataDir`: how long a start waits for an embedded data directory held by
   * another process. A server restarted right after a crash waits out the dead
   * holder's lock; a command beside a running server is refused at once.
   */
  constructor(
    config: Pick<Config, "DATABASE_URL" | "DATA_DIR"> & Partial<Pick<Config, "DATABASE_CONNECT_TIMEOUT_MS">>,
    private readonly logger: Logger,
    private readonly options: { waitForDataDir: boolean } = { waitForDataDir: true },
  ) {
    const url = config.DATABASE_URL;
    this.outage = new OutageMonitor("database", logger, () => this.dataSource.query("SELECT 1"));
    const common = {
      type: "postgres" as const,
      entities,
      migrations,
      synchronize: false,
      migrationsRun: false,
      uuidExtension: "pgcrypto" as const,
      installExtensions: false,
      logging: false,
    };
    if (url === undefined || url.startsWith("pglite://")) {
      this.kind = "pglite";
      const dataDir = url === "pglite://memory" ? undefined : path.resolve(config.DATA_DIR, "pglite");
      if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
      this.dataDir = dataDir;
      const pglite = new PGlite({ dataDir, serializers: pgliteSerializers });
      this.dataSource = new DataSource({ ...common, driver: createPGliteDriver(pglite), poolSize: 1 });
    } else {
      this.kind = "postgres";
      const outage = this.outage;
      this.dataSource = new DataSource({
        ...common,
        url,
        poolSize: 20,
        // Bounds both a connection attempt and the wait for a pooled connection: a
        // request never hangs on an unreachable server, it is answered 503.
        connectTimeoutMS: config.DATABASE_CONNECT_TIMEOUT_MS ?? DEFAULT_CONNECT_TIMEOUT_MS,
        applicationName: "tavern",
        // An idle pooled connection that dies (the server stopped) is the first sign of an outage.
        poolErrorHandler: (err: unknown) => {
          if (isConnectionError(err)) outage.failed(err);
          else logger.warn({ err }, "idle database connection failed");
        },
        extra: {
          statement_timeout: 15000,
          idle_in_transaction_session_timeout: 30000,
          // A server that vanished without closing its sockets is noticed, not waited on for ever.
          keepAlive: true,
          Client: observedClient(outage),
        },
      });
    }
  }

  /** Connects and applies pending migrations, once across processes. */
  async start(): Promise<void> {
    if (this.dataDir) await this.lockDataDir(this.dataDir);
    if (this.kind === "pglite") {
      await this.dataSource.initialize();
      // One process owns a PGlite directory, and its single session cannot hold a lock
      // while another query runner migrates, so no lock is needed or possible.
      await this.migrate();
      return;
    }
    await this.whileUnreachable(() => this.dataSource.initialize());
    await this.whileUnreachable(async () => {
      const runner = this.dataSource.createQueryRunner();
      try {
        await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        await this.migrate();
      } finally {
        await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
        await runner.release();
      }
    });
  }

  /**
   * Retries a start-up step that failed to reach Postgres, for up to START_WAIT_MS: the
   * database may come up after this process (containers start in any order), or answer
   * a connection later than DATABASE_CONNECT_TIMEOUT_MS on a machine busy starting many
   * things. That bound is for requests, which must not hang; a start may wait.
   */
  private async whileUnreachable<T>(step: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + START_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!isConnectionError(err) || Date.now() >= deadline) throw err;
        if (attempt === 1) this.logger.warn({ error: { message: (err as Error).message } }, "database not reachable yet; waiting for it");
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2000)));
      }
    }
  }

  private async migrate() {
    const applied = await this.dataSource.runMigrations({ transaction: "each" });
    for (const m of applied) this.logger.info({ migration: m.name }, "migration applied");
  }

  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it
   * throws. A connection lost before `COMMIT` throws `ConnectionLost` (nothing was
   * committed); one lost during `COMMIT` itself throws `CommitOutcomeUnknown`: the server
   * may have committed, and only a retry under the same idempotency key can tell.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      let result: T;
      try {
        result = await work(runner.manager);
      } catch (err) {
        // Released under the work's feet: TypeORM does that when the connection fails.
        if (runner.isReleased) throw new ConnectionLost(err);
        await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
      if (runner.isReleased) throw new ConnectionLost(undefined);
      try {
        await runner.commitTransaction();
      } catch (err) {
        // Released before COMMIT went out: the connection failed first, nothing was committed.
        if (err instanceof QueryRunnerAlreadyReleasedError) throw new ConnectionLost(err);
        await runner.rollbackTransaction().catch(() => undefined);
        throw isConnectionError(err) ? new CommitOutcomeUnknown(err) : err;
      }
      return result;
    } finally {
      await runner.release();
    }
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** True when a trivial query answers in time; used by `/readyz`. During an outage, false at once. */
  async ping(): Promise<boolean> {
    if (this.outage.down) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    });
    const query = this.dataSource.query("SELECT 1").then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.outage.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.unlock?.().catch(() => undefined);
    this.unlock = undefined;
  }

  /**
   * Two processes on one PGlite directory would corrupt it, and their in-process
   * presences would not share revocations. A lock held (and refreshed) while open, and
   * stale once its holder died, so a crash never blocks the directory for good.
   */
  private async lockDataDir(dataDir: string): Promise<void> {
    try {
      this.unlock = await lockfile.lock(dataDir, {
        stale: 10_000,
        update: 2_000,
        realpath: false,
        retries: this.options.waitForDataDir ? { retries: 12, minTimeout: 1000, maxTimeout: 1000 } : 0,
        onCompromised: (err) => this.logger.error({ err, dataDir }, "lost the lock on the data directory"),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ELOCKED") throw new DataDirectoryInUse(dataDir);
      throw err;
    }
  }
}

/**
 * node-postgres's client, reporting each connection attempt to the outage monitor: a
 * refused or timed-out connect means the server is unreachable, a successful one that it
 * is back. The pool creates every connection through it.
 */
function observedClient(outage: OutageMonitor): typeof PgClient {
  const seen = (err: Error | undefined | null) => (err ? isConnectionError(err) && outage.failed(err) : outage.reachable());
  return class ObservedClient extends PgClient {
    connect(): Promise<PgClient>;
    connect(callback: (err: Error | null, client?: PgClient) => void): void;
    connect(callback?: (err: Error | null, client?: PgClient) => void): Promise<PgClient> | void {
      if (!callback) {
        return super.connect().then(
          (client) => {
            seen(undefined);
            return client;
          },
          (err: Error) => {
            seen(err);
            throw err;
          },
        );
      }
      super.connect((err: Error | null) => {
        seen(err);
        callback(err, this);
      });
    }
  };
}
