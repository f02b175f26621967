import config, { type ConfigOptions } from "@colyseus/tools";
import { defineRoom, matchMaker, type RegisteredHandler } from "@colyseus/core";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Encoder } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { ConfigError, type Config } from "./config";
import { API_BASE, mountHttp, startLog, type Mount } from "./http";
import { InFlight, installFrontDoor } from "./http/front-door";
import { isMatchmaking, matchmakeEdge } from "./http/matchmake";
import { corsPolicy } from "./http/middleware/cors";
import { adminRoutes } from "./http/admin.routes";
import { authRoutes } from "./http/auth.routes";
import { backgroundRoutes } from "./http/backgrounds.routes";
import { characterRoutes } from "./http/characters.routes";
import { cardRoutes } from "./http/cards.routes";
import { chatRoutes } from "./http/chat.routes";
import { origchatRoutes } from "./http/origchat.routes";
import { cmsRoutes } from "./http/cms.routes";
import { messageRoutes } from "./http/messages.routes";
import { metricsApiRoutes } from "./http/metrics-api.routes";
import { paymentSandboxRoutes, SANDBOX_PATH } from "./http/payment-sandbox.routes";
import { paymentRoutes } from "./http/payments.routes";
import { pointRoutes } from "./http/points.routes";
import { storyGenerationRoutes } from "./http/story-generation.routes";
import { storyRoutes } from "./http/stories.routes";
import { RateLimiter } from "./http/middleware/rate-limit";
import { userRoutes } from "./http/users.routes";
import { interactionRoutes } from "./http/interactions.routes";
import { siteRoutes } from "./http/sites.routes";
import { Database } from "./infra/database";
import { EventBus } from "./infra/events";
import { BuiltinGenerator } from "./infra/generator/builtin";
import type { Generator } from "./infra/generator/generator";
import { OpenAIGenerator } from "./infra/generator/openai";
import { PresenceLocks } from "./infra/locks";
import { createLogger } from "./infra/logger";
import { Metrics } from "./infra/metrics";
import { SandboxProvider } from "./infra/payments/sandbox";
import { ProcessRegistry } from "./infra/process-registry";
import { createPresence, pingPresence } from "./infra/presence";
import { assertRedisKeepsKeys, RedisConnections } from "./infra/redis";
import { WriteLimits } from "./infra/write-limits";
import { createDmChannelRoom, DM_CHANNEL_JOIN } from "./rooms/dm-channel/dm-channel.room";
import { createInboxRoom, INBOX_JOIN } from "./rooms/inbox/inbox.room";
import { RoomTurnForwarder } from "./rooms/origchat/forward";
import { createOrigchatRoom, ORIGCHAT_JOIN, ORIGCHAT_ROOM } from "./rooms/origchat/origchat.room";
import { createWorldZoneRoom, refuseFullZones, WORLD_ZONE_JOIN, WORLD_ZONE_ROOM, worldEncodeBufferSize } from "./rooms/world-zone/world-zone.room";
import { RevocationHub } from "./rooms/shared/hub";
import type { JoinRules } from "./rooms/shared/join";
import { createAccountServices } from "./services/account-services";
import { BackgroundService } from "./services/backgrounds";
import { CharacterService } from "./services/characters";
import { CardService } from "./services/cards/cards";
import { CharacterChatService } from "./services/chat/character-chat";
import { cardPersona } from "./services/cards/persona";
import { TurnEngine } from "./services/chat/engine";
import { META_TTL_SECONDS as ORIGCHAT_META_TTL, OrigchatService } from "./services/chat/origchat";
import { TurnSerializer } from "./services/chat/serial";
import { ChatStore } from "./services/chat/store";
import { CmsService } from "./services/cms/cms";
import { MessageService } from "./services/messages";
import { ContentCountsService } from "./services/metrics/content-counts";
import { OnlineTracker } from "./services/metrics/online";
import { TrafficCounter } from "./services/metrics/traffic";
import { Notifications } from "./services/notifications";
import { DomainError } from "./services/errors";
import { failFastPresence } from "./services/presence-guard";
import type { TokenService } from "./services/tokens";
import { CheckoutService } from "./services/payments/checkout";
import { DebitBatches, debitBatchLimits } from "./services/payments/debit-batches";
import { PointService } from "./services/payments/points";
import { ProductService } from "./services/payments/products";
import { SandboxCheckout } from "./services/payments/sandbox";
import { WebhookService } from "./services/payments/webhook";
import { QuickCreate } from "./services/quick-create";
import { StoryEngagement } from "./services/stories/engagement";
import { AbandonedJobs } from "./services/stories/abandoned-jobs";
import { CharacterExtraction } from "./services/stories/extraction";
import { StoryGeneration } from "./services/stories/generation";
import { StoryService } from "./services/stories/stories";
import { VersionedCache } from "./services/versioned-cache";
import { WorldService } from "./services/world";
import { InteractionService } from "./services/sites/interactions";
import { SiteService } from "./services/sites/sites";
import pkg from "./package.json";

/** How often a process checks that matchmaking still knows it, and sweeps processes that stopped listening. */
const PROCESS_CHECK_MS = 1000;

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
  const connections = cfg.REDIS_URL ? new RedisConnections(cfg.REDIS_URL, { commandTimeoutMs: cfg.REDIS_COMMAND_TIMEOUT_MS }, logger) : undefined;
  const { presence: sharedPresence, matchmakerPresence, driver, registry: listings } = createPresence(connections, logger);
  const registry = listings && connections ? new ProcessRegistry(listings, connections, logger, PROCESS_CHECK_MS) : undefined;
  const revocationHub = new RevocationHub(sharedPresence);
  // Services get presence whose outages are the 503 domain error; the matchmaker gets its own view.
  const presence = failFastPresence(sharedPresence);
  const redis = connections?.create("limits");
  const events = new EventBus(presence);
  const metrics = new Metrics();
  const rateLimiter = new RateLimiter(redis);
  const writeLimits = new WriteLimits(redis, {
    dm: cfg.RATE_LIMIT_DM_PER_MINUTE,
    character: cfg.RATE_LIMIT_CHARACTERS_PER_MINUTE,
    say: cfg.RATE_LIMIT_SAY_PER_MINUTE,
    turn: cfg.RATE_LIMIT_CHAT_TURNS_PER_MINUTE,
  });
  const { tokens, sessions, accounts, emailFlows, outbox, directory, adminUsers } = createAccountServices(cfg, db, presence, logger);
  const backgrounds = new BackgroundService(db);
  const characterLists = new VersionedCache(presence, cfg.CHARACTER_CACHE_TTL, logger);
  const characters = new CharacterService(db, characterLists, events, backgrounds, cfg, logger, writeLimits);
  const world = new WorldService(db, characterLists);
  const messages = new MessageService(db, presence, events, writeLimits);
  const notifications = new Notifications(presence, events, logger);
  const sites = new SiteService(db, sessions);
  const interactions = new InteractionService(db);
  const cms = new CmsService(db);
  const online = new OnlineTracker(presence, cfg.ONLINE_TTL);
  const traffic = new TrafficCounter(presence, logger);
  const contentCounts = new ContentCountsService(db, presence, logger);
  const generator = createGenerator(cfg);
  // A turn's lease outlives the slowest reply the generator timeout allows; a waiting turn may wait that long.
  const turnLease = cfg.LLM_TIMEOUT_SECONDS + 30;
  const chatStore = new ChatStore(db);
  const turnEngine = new TurnEngine(chatStore, generator, new TurnSerializer(new PresenceLocks(presence), { leaseSeconds: turnLease, waitMs: turnLease * 1000 }), presence, logger, writeLimits, cardPersona, metrics.chatTurns);
  const characterChat = new CharacterChatService(db, chatStore, turnEngine);
  const origchat = new OrigchatService(db, chatStore, turnEngine, presence, new VersionedCache(presence, ORIGCHAT_META_TTL, logger), logger, new RoomTurnForwarder(presence, 2 * turnLease * 1000));
  const roomDeps = { tokens, messages, notifications, logger, config: cfg, meter: metrics.roomMessages };
  const roomTypes: Record<string, RoomType> = {
    inbox: { room: createInboxRoom(roomDeps), join: INBOX_JOIN },
    dm_channel: { room: createDmChannelRoom(roomDeps), join: DM_CHANNEL_JOIN },
    [WORLD_ZONE_ROOM]: { room: createWorldZoneRoom({ config: cfg, tokens, world, events, logger, metrics, limits: writeLimits }), join: WORLD_ZONE_JOIN },
    [ORIGCHAT_ROOM]: { room: createOrigchatRoom({ tokens, origchat, logger, config: cfg, meter: metrics.roomMessages }), join: ORIGCHAT_JOIN },
    ...options.roomTypes?.({ tokens }),
  };
  // A joiner's full-state encode of a crowded zone must fit without regrowing the buffer.
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, worldEncodeBufferSize(cfg));
  // The front door applies one CORS policy to every request; Colyseus's listener would add its own defaults.
  matchMaker.controller.DEFAULT_CORS_HEADERS = {} as typeof matchMaker.controller.DEFAULT_CORS_HEADERS;
  matchMaker.controller.getCorsHeaders = () => ({});
  const cors = corsPolicy(cfg.CORS_ORIGINS);
  const inFlight = new InFlight();
  // PAYMENT_PROVIDER has one value so far: the sandbox, whose checkout page is ours.
  const paymentProvider = new SandboxProvider(cfg.PAYMENT_WEBHOOK_SECRET, API_BASE + SANDBOX_PATH);
  const points = new PointService(db, notifications, new DebitBatches(db.manager, debitBatchLimits(db.kind)));
  const products = new ProductService(db);
  const checkout = new CheckoutService(db, products, paymentProvider);
  const webhook = new WebhookService(db, points, notifications, cfg.PAYMENT_WEBHOOK_SECRET);
  const quickCreate = new QuickCreate(characters, generator, new PresenceLocks(presence), logger, cfg.LLM_TIMEOUT_SECONDS + 30);
  const stories = new StoryService(db, presence, logger);
  const storyEngagement = new StoryEngagement(db);
  const storyGeneration = new StoryGeneration(db, generator, notifications, logger);
  const extraction = new CharacterExtraction(db, presence, generator, notifications, logger);
  const abandonedJobs = new AbandonedJobs(storyGeneration, extraction, logger, cfg.STORY_JOB_ABANDON_SECONDS);
  const mounts: Mount[] = [
    authRoutes({ accounts, sessions, emailFlows, rateLimiter, limitPerMinute: cfg.RATE_LIMIT_AUTH_PER_MINUTE, loginsPerMinute: cfg.RATE_LIMIT_LOGIN_PER_MINUTE }),
    userRoutes(accounts, directory),
    adminRoutes(adminUsers, outbox),
    backgroundRoutes(backgrounds),
    characterRoutes(characters, quickCreate),
    cardRoutes(new CardService(db, characters), cfg.CARD_IMPORT_LIMIT),
    messageRoutes(messages),
    siteRoutes(sites),
    interactionRoutes(interactions),
    cmsRoutes(cms),
    metricsApiRoutes({ online, traffic, contentCounts, rateLimiter, heartbeatsPerMinute: cfg.RATE_LIMIT_HEARTBEAT_PER_MINUTE }),
    paymentRoutes({ products, checkout, webhook }),
    paymentSandboxRoutes(new SandboxCheckout(db, paymentProvider)),
    pointRoutes(points),
    storyRoutes({ stories, engagement: storyEngagement, extraction }),
    storyGenerationRoutes(storyGeneration),
    chatRoutes(characterChat),
    origchatRoutes(origchat),
    ...(options.mounts ?? []),
  ];

  // Each follows the live rooms: metrics count them, the hub closes revoked connections, the registry re-lists them.
  const watchRooms = <T extends Record<string, RegisteredHandler>>(handlers: T): T =>
    registry ? registry.watchRooms(revocationHub.watchRooms(metrics.watchRooms(handlers))) : revocationHub.watchRooms(metrics.watchRooms(handlers));

  return config({
    options: {
      presence: matchmakerPresence,
      driver,
      publicAddress: cfg.PUBLIC_ADDRESS,
      logger,
      greet: false,
      selectProcessIdToCreateRoom: refuseFullZones(matchMaker.selectProcessIdToCreateRoom),
    },
    displayLogs: false,
    rooms: watchRooms(Object.fromEntries(Object.entries(roomTypes).map(([name, t]) => [name, defineRoom(t.room).filterBy([...t.join.keys])]))),
    initializeTransport: (opts: { server: HttpServer }) => {
      const transport = new WebSocketTransport({ ...opts, maxPayload: MAX_FRAME_BYTES });
      const rules = Object.fromEntries(Object.entries(roomTypes).map(([name, t]) => [name, t.join]));
      opts.server.once("listening", () => {
        const { fields, message } = startLog(cfg, (opts.server.address() as AddressInfo).port);
        logger.info(fields, message);
      });
      installFrontDoor(opts.server, {
        cors,
        inFlight,
        isMatchmaking,
        matchmake: matchmakeEdge({ rooms: rules, tokens, transport, logger }),
        apiPrefix: `${API_BASE}/`,
        api: () => transport.getExpressApp() as unknown as (req: IncomingMessage, res: ServerResponse) => void,
      });
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
          traffic,
          version: pkg.version,
          probes: [
            { name: "database", check: () => db.ping() },
            { name: "presence", check: () => pingPresence(sharedPresence) },
          ],
        },
        mounts,
      ),
    initializeGameServer: (server) => {
      server.onBeforeShutdown(async () => {
        // Leaving matchmaking: the registry must not register this process again.
        registry?.stop();
        connections?.shuttingDown();
        // Stop accepting (close() also drops idle kept-alive connections), tell every
        // answer to close its connection, and let the requests in flight be answered
        // before rooms close: their clients are told 4001 and join again elsewhere.
        logger.info({ requests: inFlight.size, grace_ms: cfg.SHUTDOWN_GRACE_MS }, "shutting down: draining requests in flight");
        const http = server.transport.server;
        // No new room lands here while the drain lasts (Colyseus leaves matchmaking only once rooms close).
        void matchMaker.stats.excludeProcess(matchMaker.processId).catch(() => undefined);
        inFlight.close();
        http?.close();
        const drained = await inFlight.settled(cfg.SHUTDOWN_GRACE_MS);
        if (!drained) logger.warn({ requests: inFlight.size }, "shutting down with requests still in flight");
        // Connections that carried a streamed answer went idle when it ended.
        http?.closeIdleConnections();
        // Presence is closed by the time onShutdown runs: the last counts go first.
        await traffic.stop();
      });
      server.onShutdown(async () => {
        await abandonedJobs.stop();
        await extraction.stop();
        await connections?.close();
        await outbox.stop();
        await db.stop();
        logger.info("shutdown complete");
      });
    },
    beforeListen: async () => {
      if (redis) await assertRedisKeepsKeys(redis, logger);
      await revocationHub.start();
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
      traffic.start();
      if (cfg.isProduction && cfg.PAYMENT_PROVIDER === "sandbox") {
        logger.warn("PAYMENT_PROVIDER=sandbox in production: its checkout page credits points without charging anyone");
      }
      await extraction.start();
      abandonedJobs.start();
      registry?.start();
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
