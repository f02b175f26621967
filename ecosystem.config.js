// PM2: N Tavern processes on consecutive ports, each with its own PUBLIC_ADDRESS,
// sharing DATABASE_URL and REDIS_URL (which must be set: processes cannot share the
// embedded database or in-process presence).
//
//   TAVERN_PROCESSES=4 TAVERN_BASE_PORT=2567 TAVERN_PUBLIC_HOST=10.0.0.5 npm run start:cluster
const count = Number(process.env.TAVERN_PROCESSES || 2);
const basePort = Number(process.env.TAVERN_BASE_PORT || 2567);
const host = process.env.TAVERN_PUBLIC_HOST || "127.0.0.1";

if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
  throw new Error("start:cluster needs DATABASE_URL (postgres://…) and REDIS_URL (redis://…)");
}

module.exports = {
  apps: Array.from({ length: count }, (_, i) => ({
    name: `tavern-${basePort + i}`,
    script: "index.ts",
    interpreter: "node",
    interpreter_args: "--import tsx",
    exec_mode: "fork",
    // Graceful shutdown: rooms persist and clients are told to reconnect before the kill.
    kill_timeout: 30000,
    wait_ready: true,
    listen_timeout: 60000,
    env: {
      PORT: String(basePort + i),
      PUBLIC_ADDRESS: `${host}:${basePort + i}`,
    },
  })),
};
