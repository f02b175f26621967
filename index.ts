import { listen } from "@colyseus/tools";
import { ConfigError, loadConfig } from "./config";
import { createApp } from "./arena.config";

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
  // @colyseus/tools adds NODE_APP_INSTANCE to the port (PM2 clusters); PORT is already
  // per process here, so pass it through unchanged.
  const port = config.PORT - Number(process.env.NODE_APP_INSTANCE ?? 0);
  listen(createApp(config), port).catch((err) => {
    process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

main();
