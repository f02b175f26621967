import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    // Never let a credential reach the log, whichever object carries it.
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "*.password",
        "*.new_password",
        "*.current_password",
        "*.refresh_token",
        "*.access_token",
        "*.token",
      ],
      censor: "[redacted]",
    },
  });
}
