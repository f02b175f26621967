import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { DataSource, type EntityManager } from "typeorm";
import type { Config } from "../config";
import { entities } from "../entities";
import { migrations } from "../entities/migrations";
import type { Logger } from "./logger";
import { createPGliteDriver, pgliteSerializers } from "./pglite-pool";

export type DatabaseKind = "pglite" | "postgres";

/** Arbitrary but fixed key: every Tavern process migrates under this advisory lock. */
const MIGRATION_LOCK_KEY = 7_204_117;
const READY_TIMEOUT_MS = 2000;

/**
 * The one relational store. Embedded PGlite when `DATABASE_URL` is unset (on disk in
 * `DATA_DIR`) or `pglite://memory`; a Postgres server otherwise. Same SQL, same
 * migrations, either way.
 */
export class Database {
  readonly dataSource: DataSource;
  readonly kind: DatabaseKind;

  constructor(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">, private readonly logger: Logger) {
    const url = config.DATABASE_URL;
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
      const pglite = new PGlite({ dataDir, serializers: pgliteSerializers });
      this.dataSource = new DataSource({ ...common, driver: createPGliteDriver(pglite), poolSize: 1 });
    } else {
      this.kind = "postgres";
      this.dataSource = new DataSource({
        ...common,
        url,
        poolSize: 20,
        // Generous: a loaded host may take seconds to hand out a connection, and a
        // failed connect fails a request; /readyz has its own, shorter deadline.
        connectTimeoutMS: 10_000,
        applicationName: "tavern",
        extra: { statement_timeout: 15000, idle_in_transaction_session_timeout: 30000 },
      });
    }
  }

  /** Connects and applies pending migrations, once across processes. */
  async start(): Promise<void> {
    await this.dataSource.initialize();
    if (this.kind === "pglite") {
      // One process owns a PGlite directory, and its single session cannot hold a lock
      // while another query runner migrates, so no lock is needed or possible.
      await this.migrate();
      return;
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      await this.migrate();
    } finally {
      await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await runner.release();
    }
  }

  private async migrate() {
    const applied = await this.dataSource.runMigrations({ transaction: "each" });
    for (const m of applied) this.logger.info({ migration: m.name }, "migration applied");
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** True when a trivial query answers in time; used by `/readyz`. */
  async ping(): Promise<boolean> {
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
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
