import config, { type ConfigOptions } from "@colyseus/tools";
import { defineRoom, matchMaker } from "@colyseus/core";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Encoder } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { Redis } from "ioredis";
import { ConfigError, type Config } from "./config";
import { mountHttp, startLog, type Mount } from "./http";
import { InFlight, installFrontDoor } from "./http/front-door";
import { isMatchmaking, matchmakeEdge } from "./http/matchmake";
import { corsPolicy } from "./http/middleware/cors";
import { adminRoutes } from "./http/admin.routes";
import { authRoutes } from "./http/auth.routes";
import { backgroundRoutes } from "./http/backgrounds.routes";
import { characterRoutes } from "./http/characters.routes";
import { messageRoutes } from "./http/messages.routes";
import { RateLimiter } from "./http/middleware/rate-limit";
import { userRoutes } from "./http/users.routes";
import { interactionRoutes } from "./http/interactions.routes";
import { siteRoutes } from "./http/sites.routes";
import { Database } from "./infra/database";
import { EventBus } from "./infra/events";
import { createLogger } from "./infra/logger";
import { Metrics } from "./infra/metrics";
import { createPresence, pingPresence } from "./infra/presence";
import { assertRedisKeepsKeys } from "./infra/redis";
import { WriteLimits } from "./infra/write-limits";
import { createDmChannelRoom, DM_CHANNEL_JOIN } from "./rooms/dm-channel/dm-channel.room";
import { createInboxRoom, INBOX_JOIN } from "./rooms/inbox/inbox.room";
import { createWorldZoneRoom, refuseFullZones, WORLD_ZONE_JOIN, WORLD_ZONE_ROOM, worldEncodeBufferSize } from "./rooms/world-zone/world-zone.room";
import type { JoinRules } from "./rooms/shared/join";
import { createAccountServices } from "./services/account-services";
import { BackgroundService } from "./services/backgrounds";
import { CharacterService } from "./services/characters";
import { MessageService } from "./services/messages";
import { Notifications } from "./services/notifications";
import { DomainError } from "./services/errors";
import type { TokenService } from "./services/tokens";
import { WorldService } from "./services/world";
import { InteractionService } from "./services/sites/interactions";
import { SiteService } from "./services/sites/sites";
import pkg from "./package.json";

/** How long a graceful shutdown waits for requests in flight before closing rooms. */
const SHUTDOWN_DRAIN_MS = 10_000;

/** Frames over this size are refused by the transport (docs/realtime.md). */
const MAX_FRAME_BYTES = 16 * 1024;

/** A room type as the composition root registers it: its class and how it is joined. */
export interface RoomType {
  room: Parameters<typeof defineRoom>[0];
  join: JoinRules;
}

export interface AppOptions {
  /** Extra routers, mounted after the product's own (tests use it for fault injection). */
  mounts?: Mount[];
  /** Extra room types, registered beside the product's own (tests use it for fault injection). */
  roomTypes?: (deps: { tokens: TokenService }) => Record<string, RoomType>;
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
  const writeLimits = new WriteLimits(redis, {
    dm: cfg.RATE_LIMIT_DM_PER_MINUTE,
    character: cfg.RATE_LIMIT_CHARACTERS_PER_MINUTE,
    say: cfg.RATE_LIMIT_SAY_PER_MINUTE,
  });
  const { tokens, sessions, accounts, emailFlows, outbox, directory, adminUsers } = createAccountServices(cfg, db, presence, logger);
  const backgrounds = new BackgroundService(db);
  const characters = new CharacterService(db, presence, events, backgrounds, cfg, logger, writeLimits);
  const world = new WorldService(db, presence);
  const messages = new MessageService(db, presence, events, writeLimits);
  const notifications = new Notifications(presence, events, logger);
  const sites = new SiteService(db, sessions);
  const interactions = new InteractionService(db);
  const roomDeps = { tokens, messages, notifications, logger, config: cfg };
  const roomTypes: Record<string, RoomType> = {
    inbox: { room: createInboxRoom(roomDeps), join: INBOX_JOIN },
    dm_channel: { room: createDmChannelRoom(roomDeps), join: DM_CHANNEL_JOIN },
    [WORLD_ZONE_ROOM]: { room: createWorldZoneRoom({ config: cfg, tokens, world, events, logger, metrics, limits: writeLimits }), join: WORLD_ZONE_JOIN },
    ...options.roomTypes?.({ tokens }),
  };
  // A joiner's full-state encode of a crowded zone must fit without regrowing the buffer.
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, worldEncodeBufferSize(cfg));
  // The front door applies one CORS policy to every request; Colyseus's listener would add its own defaults.
  matchMaker.controller.DEFAULT_CORS_HEADERS = {} as typeof matchMaker.controller.DEFAULT_CORS_HEADERS;
  matchMaker.controller.getCorsHeaders = () => ({});
  const cors = corsPolicy(cfg.CORS_ORIGINS);
  const inFlight = new InFlight();
  const mounts: Mount[] = [
    authRoutes({ accounts, sessions, emailFlows, rateLimiter, limitPerMinute: cfg.RATE_LIMIT_AUTH_PER_MINUTE, loginsPerMinute: cfg.RATE_LIMIT_LOGIN_PER_MINUTE }),
    userRoutes(accounts, directory),
    adminRoutes(adminUsers, outbox),
    backgroundRoutes(backgrounds),
    characterRoutes(characters),
    messageRoutes(messages),
    siteRoutes(sites),
    interactionRoutes(interactions),
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
    rooms: Object.fromEntries(Object.entries(roomTypes).map(([name, t]) => [name, defineRoom(t.room).filterBy([...t.join.keys])])),
    initializeTransport: (opts: { server: HttpServer }) => {
      const transport = new WebSocketTransport({ ...opts, maxPayload: MAX_FRAME_BYTES });
      const rules = Object.fromEntries(Object.entries(roomTypes).map(([name, t]) => [name, t.join]));
      opts.server.once("listening", () => {
        const { fields, message } = startLog(cfg, (opts.server.address() as AddressInfo).port);
        logger.info(fields, message);
      });
      installFrontDoor(opts.server, { cors, inFlight, isMatchmaking, matchmake: matchmakeEdge({ rooms: rules, tokens, transport, logger }) });
      return transport;
    },
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
      server.onBeforeShutdown(async () => {
        // Stop accepting, then let the requests in flight be answered before rooms close.
        const http = server.transport.server;
        http?.close();
        http?.closeIdleConnections();
        const drained = await inFlight.settled(SHUTDOWN_DRAIN_MS);
        if (!drained) logger.warn({ requests: inFlight.size }, "shutting down with requests still in flight");
      });
      server.onShutdown(async () => {
        redis?.disconnect();
        await outbox.stop();
        await db.stop();
        logger.info("shutdown complete");
      });
    },
    beforeListen: async () => {
      if (redis) await assertRedisKeepsKeys(redis, logger);
      await db.start();
      await tokens.reload();
      const admin = bootstrapAdmin(cfg);
      if (admin) {
        const ensured = await adminUsers.ensureAdmin(admin).catch((err: unknown) => {
          // Refuse to start: the operator must resolve the clash, not get a half-configured server.
          throw err instanceof DomainError ? new ConfigError([err.message]) : err;
        });
        logger.info({ username: ensured.username }, "bootstrap admin ensured");
      }
      outbox.start();
      logger.info({ database: db.kind, presence: cfg.REDIS_URL ? "redis" : "local" }, "tavern ready");
    },
  });
}

function bootstrapAdmin(cfg: Config) {
  const { BOOTSTRAP_ADMIN_USERNAME: username, BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password } = cfg;
  return username && email && password ? { username, email, password } : undefined;
}
