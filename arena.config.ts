import config, { type ConfigOptions } from "@colyseus/tools";
import { defineRoom, matchMaker } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { Redis } from "ioredis";
import type { Config } from "./config";
import { mountHttp, type Mount } from "./http";
import { adminRoutes } from "./http/admin.routes";
import { authRoutes } from "./http/auth.routes";
import { backgroundRoutes } from "./http/backgrounds.routes";
import { characterRoutes } from "./http/characters.routes";
import { messageRoutes } from "./http/messages.routes";
import { storyGenerationRoutes } from "./http/story-generation.routes";
import { storyRoutes } from "./http/stories.routes";
import { RateLimiter } from "./http/middleware/rate-limit";
import { userRoutes } from "./http/users.routes";
import { Database } from "./infra/database";
import { EventBus } from "./infra/events";
import { BuiltinGenerator } from "./infra/generator/builtin";
import type { Generator } from "./infra/generator/generator";
import { OpenAIGenerator } from "./infra/generator/openai";
import { PresenceLocks } from "./infra/locks";
import { createLogger } from "./infra/logger";
import { Metrics } from "./infra/metrics";
import { createPresence, pingPresence } from "./infra/presence";
import { createDmChannelRoom } from "./rooms/dm-channel/dm-channel.room";
import { createInboxRoom } from "./rooms/inbox/inbox.room";
import { createWorldZoneRoom, refuseFullZones, WORLD_ZONE_ROOM } from "./rooms/world-zone/world-zone.room";
import { createAccountServices } from "./services/account-services";
import { BackgroundService } from "./services/backgrounds";
import { CharacterService } from "./services/characters";
import { MessageService } from "./services/messages";
import { Notifications } from "./services/notifications";
import { QuickCreate } from "./services/quick-create";
import { StoryEngagement } from "./services/stories/engagement";
import { CharacterExtraction } from "./services/stories/extraction";
import { StoryGeneration } from "./services/stories/generation";
import { StoryService } from "./services/stories/stories";
import { WorldService } from "./services/world";
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
  const metrics = new Metrics();
  const rateLimiter = new RateLimiter(redis);
  const { tokens, sessions, accounts, emailFlows, outbox, directory, adminUsers } = createAccountServices(cfg, db, presence, logger);
  const backgrounds = new BackgroundService(db);
  const characters = new CharacterService(db, presence, events, backgrounds, cfg, logger);
  const world = new WorldService(db, presence);
  const worldZone = createWorldZoneRoom({ config: cfg, tokens, world, events, presence, logger, metrics });
  const messages = new MessageService(db, presence, events);
  const notifications = new Notifications(presence, events, logger);
  const generator = createGenerator(cfg);
  const quickCreate = new QuickCreate(characters, generator, new PresenceLocks(presence), logger, cfg.LLM_TIMEOUT_SECONDS + 30);
  const stories = new StoryService(db, presence, logger);
  const storyEngagement = new StoryEngagement(db);
  const storyGeneration = new StoryGeneration(db, generator, notifications, logger);
  const extraction = new CharacterExtraction(db, presence, generator, notifications, logger);
  const roomDeps = { tokens, messages, notifications, logger, config: cfg };
  const mounts: Mount[] = [
    authRoutes({ accounts, sessions, emailFlows, rateLimiter, limitPerMinute: cfg.RATE_LIMIT_AUTH_PER_MINUTE }),
    userRoutes(accounts, directory),
    adminRoutes(adminUsers, outbox),
    backgroundRoutes(backgrounds),
    characterRoutes(characters, quickCreate),
    messageRoutes(messages),
    storyRoutes({ stories, engagement: storyEngagement, extraction }),
    storyGenerationRoutes(storyGeneration),
    ...(options.mounts ?? []),
  ];

  return config({
    options: {
      presence,
      driver,
      publicAddress: cfg.PUBLIC_ADDRESS,
      logger,
      greet: false,
      selectProcessIdToCreateRoom: refuseFullZones(matchMaker.selectProcessIdToCreateRoom),
    },
    displayLogs: false,
    rooms: {
      inbox: defineRoom(createInboxRoom(roomDeps)).filterBy(["user_id"]),
      dm_channel: defineRoom(createDmChannelRoom(roomDeps)).filterBy(["channel_id"]),
      [WORLD_ZONE_ROOM]: defineRoom(worldZone).filterBy(["zone_id"]),
    },
    initializeTransport: (opts) => new WebSocketTransport({ ...opts, maxPayload: MAX_FRAME_BYTES }),
    initializeExpress: (app) =>
      mountHttp(
        app,
        {
          config: cfg,
          logger,
          tokens,
          rateLimiter,
          metrics,
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
        await extraction.stop();
        redis?.disconnect();
        await outbox.stop();
        await db.stop();
        logger.info("shutdown complete");
      });
    },
    beforeListen: async () => {
      await db.start();
      await sessions.restoreRevocations(cfg.JWT_TTL);
      const admin = bootstrapAdmin(cfg);
      if (admin) logger.info({ username: (await adminUsers.ensureAdmin(admin)).username }, "bootstrap admin ensured");
      outbox.start();
      await extraction.start();
      logger.info({ database: db.kind, presence: cfg.REDIS_URL ? "redis" : "local" }, "tavern ready");
    },
  });
}

/** The text generator GENERATOR names (config.ts checks the openai settings are there). */
export function createGenerator(cfg: Config): Generator {
  if (cfg.GENERATOR === "openai") {
    return new OpenAIGenerator({ baseURL: cfg.LLM_BASE_URL!, apiKey: cfg.LLM_API_KEY, model: cfg.LLM_MODEL!, timeoutSeconds: cfg.LLM_TIMEOUT_SECONDS });
  }
  return new BuiltinGenerator({ paceMs: cfg.GENERATOR_PACE_MS });
}

function bootstrapAdmin(cfg: Config) {
  const { BOOTSTRAP_ADMIN_USERNAME: username, BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password } = cfg;
  return username && email && password ? { username, email, password } : undefined;
}
