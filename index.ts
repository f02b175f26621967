import v8 from "node:v8";
import { listen } from "@colyseus/tools";
import { ConfigError, loadConfig } from "./config";
import { createApp } from "./arena.config";
import { DataDirectoryInUse } from "./infra/database";
import { UnsafeRedisError } from "./infra/redis";

function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // A full world zone allocates fast enough that V8 would let its heap grow to several
  // times what is live (1.6x the bare room's memory at 1,000 players); a fixed factor
  // caps it. V8 reads this at every full collection, so setting it now takes effect.
  if (config.HEAP_GROWING_PERCENT > 0) v8.setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWING_PERCENT}`);
  // @colyseus/tools adds NODE_APP_INSTANCE to the port (PM2 clusters); PORT is already
  // per process here, so pass it through unchanged.
  const port = config.PORT - Number(process.env.NODE_APP_INSTANCE ?? 0);
  // Colyseus shuts down gracefully on the first SIGTERM/SIGINT and leaves a repeat to
  // the default action, which kills the process mid-shutdown. Under `npm start` a
  // terminal's Ctrl-C reaches this process twice (directly, and forwarded by npm).
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => undefined);
  listen(createApp(config), port).catch((err) => {
    const known = err instanceof ConfigError || err instanceof DataDirectoryInUse || err instanceof UnsafeRedisError;
    process.stderr.write(known ? `${err.message}\n` : `failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

main();
