import { boot } from "@colyseus/testing";
import { createApp } from "../arena.config";
import { loadConfig } from "../config";
import { PGlite } from "@electric-sql/pglite";

let queries: string[] = [];
const origQuery = PGlite.prototype.query;
PGlite.prototype.query = function (sql: string, ...rest: any[]) { queries.push(sql.slice(0, 100)); return (origQuery as any).call(this, sql, ...rest); } as any;
const origExec = PGlite.prototype.exec;
PGlite.prototype.exec = function (sql: string, ...rest: any[]) { queries.push(sql.slice(0, 100)); return (origExec as any).call(this, sql, ...rest); } as any;

async function main() {
  const cfg = loadConfig({ DATABASE_URL: "pglite://memory", PORT: "2591", LOG_LEVEL: "warn", JWT_SECRET: "x".repeat(40), NODE_ENV: "production", PAYMENT_WEBHOOK_SECRET: "y".repeat(32) });
  const srv = await boot(createApp(cfg), 2591);
  const api = "http://127.0.0.1:2591/api/v1";
  const post = (p: string, body: unknown, token?: string) => fetch(api + p, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  await post("/auth/register", { username: "qq1", email: "qq1@x.test", password: "correct-horse-1" });
  const { access_token: token } = await (await post("/auth/login", { username: "qq1", password: "correct-horse-1" })).json() as any;
  await post("/characters", { name: "A" }, token);
  await fetch(api + "/characters", { headers: { authorization: `Bearer ${token}` } });
  queries = [];
  for (let i = 0; i < 50; i++) await fetch(api + "/characters", { headers: { authorization: `Bearer ${token}` } });
  console.log("queries during 50 cached GET /characters:", queries.length, queries.slice(0, 5));
  queries = [];
  for (let i = 0; i < 50; i++) await fetch(api + "/users/me", { headers: { authorization: `Bearer ${token}` } });
  console.log("queries during 50 GET /users/me:", queries.length, queries.slice(0, 5));
  await srv.shutdown();
  process.exit(0);
}
main();
