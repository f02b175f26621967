import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * Environment → typed configuration, parsed once at start. Every invalid variable is
 * reported together so that an operator fixes them in one go.
 */

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, "expected a duration such as 900, 15m, 30d")
  .transform(parseDurationSeconds);

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const num = (min: number) => z.coerce.number().finite().min(min);

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535).default(2567),
  PUBLIC_ADDRESS: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|pglite:\/\/)/, "expected postgres://… or pglite://memory")
    .optional(),
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 60_000).default(3000),
  DATA_DIR: z.string().min(1).default("./data"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "expected redis://…").optional(),
  REDIS_COMMAND_TIMEOUT_MS: int(50, 60_000).default(1000),

  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JWT_TTL: duration.default(900),
  REFRESH_TTL: duration.default(30 * 86400),
  RESET_TOKEN_TTL: duration.default(1800),
  ARGON2_MEMORY_KIB: int(1024).default(19456),
  ARGON2_ITERATIONS: int(1).default(2),
  ARGON2_PARALLELISM: int(1, 16).default(1),
  REQUIRE_EMAIL_VERIFICATION: bool.default(false),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "expected smtp://…").optional(),
  MAIL_FROM: z.string().min(3).default("Tavern <no-reply@tavern.local>"),
  OUTBOX_RETRY_BASE_MS: int(100, 3_600_000).default(2000),

  WORLD_ZONE_ID: z.string().min(1).max(64).default("starter"),
  WORLD_TICK_RATE: int(1, 120).default(20),
  WORLD_WIDTH: num(1).default(1000),
  WORLD_HEIGHT: num(1).default(1000),
  WORLD_MAX_STEP: num(0).default(5),
  WORLD_AOI_RADIUS: num(0).default(0),
  WORLD_SAVE_INTERVAL: num(1).default(30),
  WORLD_MAX_CLIENTS: int(1).default(1000),
  WORLD_RECONNECT_SECONDS: num(0).default(20),

  CHARACTER_CACHE_TTL: int(1).default(60),
  USER_CACHE_TTL: int(1).default(60),
  DEFAULT_CHARACTER_CLASS: z.string().min(1).max(32).default("adventurer"),
  CORS_ORIGINS: z.string().optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d+|[\w.:/,\s-]+)$/, "expected true, false, a hop count, or addresses/subnets such as loopback,10.0.0.0/8")
    .default("loopback")
    .transform(parseTrustProxy),
  WS_MAX_MESSAGES_PER_SECOND: int(1).default(30),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, "expected a size such as 100kb").default("100kb"),
  CARD_IMPORT_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, "expected a size such as 2mb").default("2mb"),
  RATE_LIMIT_AUTH_PER_MINUTE: int(1).default(10),
  RATE_LIMIT_LOGIN_PER_MINUTE: int(1).default(60),
  RATE_LIMIT_DM_PER_MINUTE: int(1).default(120),
  RATE_LIMIT_CHARACTERS_PER_MINUTE: int(1).default(20),
  RATE_LIMIT_SAY_PER_MINUTE: int(1).default(60),
  RATE_LIMIT_CHAT_TURNS_PER_MINUTE: int(1).default(60),
  RATE_LIMIT_HEARTBEAT_PER_MINUTE: int(1).default(600),

  PAYMENT_PROVIDER: z.enum(["sandbox"]).default("sandbox"),
  PAYMENT_WEBHOOK_SECRET: z.string().min(16).optional(),
  GENERATOR: z.enum(["builtin", "openai"]).default("builtin"),
  LLM_BASE_URL: z.url().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().optional(),
  LLM_TIMEOUT_SECONDS: int(1, 3600).default(120),
  GENERATOR_PACE_MS: int(0, 1000).default(15),
  STORY_JOB_ABANDON_SECONDS: int(3, 86_400).default(120),
  ONLINE_TTL: int(1).default(60),
  METRICS_TOKEN: z.string().min(8).optional(),
  /** Unset: on outside production (see loadConfig). */
  DEMO_ENABLED: bool.optional(),
  /** Unset: on outside production (see loadConfig). */
  PLAYGROUND_ENABLED: bool.optional(),
  MONITOR_USER: z.string().min(1).max(128).regex(/^[^:]+$/, "must not contain a colon (HTTP basic credentials)").optional(),
  MONITOR_PASSWORD: z.string().min(12, "must be at least 12 characters").max(1024).optional(),

  BOOTSTRAP_ADMIN_USERNAME: z.string().optional(),
  BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().optional(),
  SHUTDOWN_GRACE_MS: int(0, 300_000).default(10_000),
  HEAP_GROWING_PERCENT: int(0, 1000).default(100),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

type Parsed = z.infer<typeof schema>;

/** Every variable the server reads (`.env.example` documents each). */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

export type Config = Omit<Parsed, "JWT_SECRET" | "PAYMENT_WEBHOOK_SECRET" | "CORS_ORIGINS"> & {
  JWT_SECRET: string;
  PAYMENT_WEBHOOK_SECRET: string;
  /** `"*"` or an explicit list of origins. */
  CORS_ORIGINS: "*" | string[];
  isProduction: boolean;
  /** `/demo`, the browser client: on in development and test, off in production unless set. */
  DEMO_ENABLED: boolean;
  /** `/playground`: on in development and test, off in production unless set. */
  PLAYGROUND_ENABLED: boolean;
  /** `/monitor`: behind MONITOR_USER/MONITOR_PASSWORD when set; otherwise open outside production and off in it. */
  MONITOR_ENABLED: boolean;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function parseDurationSeconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const n = Number(match[1]);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? "s"]!;
  return Math.max(1, Math.round(n * unit));
}

/** Parses `env` (by default the process environment, which `.env` was loaded into). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most twelve-factor tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${issue.path.join(".")}: ${issue.message}`);
  }
  const parsed = result.data;
  const isProduction = parsed?.NODE_ENV === "production";
  if (isProduction && !cleaned.JWT_SECRET) problems.push("JWT_SECRET: required in production");
  if (isProduction && !cleaned.PAYMENT_WEBHOOK_SECRET) problems.push("PAYMENT_WEBHOOK_SECRET: required in production");
  if (parsed?.GENERATOR === "openai" && !parsed.LLM_BASE_URL) problems.push("LLM_BASE_URL: required when GENERATOR=openai");
  if (parsed?.GENERATOR === "openai" && !parsed.LLM_MODEL) problems.push("LLM_MODEL: required when GENERATOR=openai");
  const admin = [cleaned.BOOTSTRAP_ADMIN_USERNAME, cleaned.BOOTSTRAP_ADMIN_EMAIL, cleaned.BOOTSTRAP_ADMIN_PASSWORD];
  if (admin.some(Boolean) && !admin.every(Boolean)) {
    problems.push("BOOTSTRAP_ADMIN_USERNAME: _USERNAME, _EMAIL and _PASSWORD must be set together");
  }
  if (Boolean(cleaned.MONITOR_USER) !== Boolean(cleaned.MONITOR_PASSWORD)) {
    problems.push("MONITOR_USER: MONITOR_USER and MONITOR_PASSWORD must be set together");
  }
  // In production the playground's own guard hides its data behind credentials; without them the page could not work.
  if (isProduction && parsed?.PLAYGROUND_ENABLED && !cleaned.MONITOR_USER) {
    problems.push("PLAYGROUND_ENABLED: in production the playground needs MONITOR_USER and MONITOR_PASSWORD (it lists every room)");
  }
  if (problems.length > 0 || !parsed) throw new ConfigError(problems);

  const embeddedInMemory = parsed.DATABASE_URL === "pglite://memory";
  return {
    ...parsed,
    JWT_SECRET: parsed.JWT_SECRET ?? developmentSecret(parsed.DATA_DIR, "jwt-secret", embeddedInMemory),
    PAYMENT_WEBHOOK_SECRET:
      parsed.PAYMENT_WEBHOOK_SECRET ?? developmentSecret(parsed.DATA_DIR, "payment-webhook-secret", embeddedInMemory),
    CORS_ORIGINS: parseOrigins(parsed.CORS_ORIGINS, isProduction),
    isProduction,
    DEMO_ENABLED: parsed.DEMO_ENABLED ?? !isProduction,
    PLAYGROUND_ENABLED: parsed.PLAYGROUND_ENABLED ?? !isProduction,
    MONITOR_ENABLED: Boolean(parsed.MONITOR_USER) || !isProduction,
  };
}

/** Express's `trust proxy`: a boolean, a hop count, or a list of addresses, subnets and names (loopback, linklocal, uniquelocal). */
function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === "true" || value === "false") return value === "true";
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(",").map((v) => v.trim()).filter(Boolean);
}

function parseOrigins(value: string | undefined, isProduction: boolean): "*" | string[] {
  if (value === undefined) return isProduction ? [] : "*";
  if (value.trim() === "*") return "*";
  return value.split(",").map((o) => o.trim()).filter(Boolean);
}

/**
 * Outside production a secret that was not configured is generated once and kept in
 * `DATA_DIR`, so tokens survive a restart of a development server. A throwaway
 * in-memory database gets a throwaway secret.
 */
function developmentSecret(dataDir: string, name: string, ephemeral: boolean): string {
  if (ephemeral) return crypto.randomBytes(32).toString("hex");
  const file = path.join(dataDir, name);
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString("hex");
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
      return secret;
    } catch (err) {
      // Another process starting at the same moment wrote it first: use theirs.
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return fs.readFileSync(file, "utf8").trim();
      throw err;
    }
  }
}
