import config, { type ConfigOptions } from "@colyseus/tools";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { Redis } from "ioredis";
import type { Config } from "./config";
import { Database } from "./infra/database";
import { EventBus } from "./infra/events";
import { createLogger } from "./infra/logger";
import { createPresence, pingPresence } from "./infra/presence";
import { mountHttp, type Mount } from "./http";
import { RateLimiter } from "./http/middleware/rate-limit";
import { authRoutes, userRoutes } from "./http/auth.routes";
import { backgroundRoutes } from "./http/backgrounds.routes";
import { characterRoutes } from "./http/characters.routes";
import { AccountService } from "./services/accounts";
import { BackgroundService } from "./services/backgrounds";
import { CharacterService } from "./services/characters";
import { PasswordHasher } from "./services/passwords";
import { SessionService } from "./services/sessions";
import { TokenService } from "./services/tokens";
import pkg from "./package.json";

/** Frames over this size are refused by the transport (realtime.md). */
const MAX_FRAME_BYTES = 16 * 1024;

export interface AppOptions {
  /** Extra routers, mounted after the product's own (tests use it for fault injection). */
  mounts?: Mount[];
}

/**
 * The composition root: the only place that constructs and wires the product's
 * objects. `index.ts` listens on what this returns and tests `boot()` the same.
 */
export function createApp(cfg: Config, options: AppOptions = {}): ConfigOptions {
  const logger = createLogger(cfg.LOG_LEVEL);
  const db = new Database(cfg, logger);
  const { presence, driver } = createPresence(cfg);
  const redis = cfg.REDIS_URL ? new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 2 }) : undefined;
  const events = new EventBus(presence);
  const tokens = new TokenService(cfg, presence);
  const rateLimiter = new RateLimiter(redis);
  const passwords = new PasswordHasher(cfg);
  const sessions = new SessionService(db, tokens, cfg);
  const accounts = new AccountService(db, passwords, sessions, {
    requireEmailVerification: cfg.REQUIRE_EMAIL_VERIFICATION,
  });
  void events;

  const backgrounds = new BackgroundService(db);
  const characters = new CharacterService(db, presence, events, backgrounds, cfg);
  const mounts: Mount[] = [authRoutes(accounts, sessions), userRoutes(accounts), backgroundRoutes(backgrounds), characterRoutes(characters), ...(options.mounts ?? [])];

  return config({
    options: {
      presence,
      driver,
      publicAddress: cfg.PUBLIC_ADDRESS,
      logger,
      greet: false,
    },
    displayLogs: false,
    rooms: {},
    initializeTransport: (opts) => new WebSocketTransport({ ...opts, maxPayload: MAX_FRAME_BYTES }),
    initializeExpress: (app) =>
      mountHttp(
        app,
        {
          config: cfg,
          logger,
          tokens,
          rateLimiter,
          version: pkg.version,
          probes: [
            { name: "database", check: () => db.ping() },
            { name: "presence", check: () => pingPresence(presence) },
          ],
        },
        mounts,
      ),
    initializeGameServer: (server) => {
      server.onShutdown(async () => {
        redis?.disconnect();
        await db.stop();
        logger.info("shutdown complete");
      });
    },
    beforeListen: async () => {
      await db.start();
      await sessions.restoreRevocations(cfg.JWT_TTL);
      logger.info({ database: db.kind, presence: cfg.REDIS_URL ? "redis" : "local" }, "tavern ready");
    },
  });
}
