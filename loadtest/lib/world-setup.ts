/**
 * The REST half of a world bot: a fresh user, logged in, with a character to walk.
 * Used by the bot itself and, for large runs, by the benchmark up front.
 */
export interface BotCredentials {
  token: string;
  character_id: string;
}

const PASSWORD = "load-test-password-1";

async function post(httpBase: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${httpBase}/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function expect(res: Response, status: number, what: string): Promise<any> {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function setUpBot(httpBase: string, tag: string): Promise<BotCredentials> {
  const username = `w${tag}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
  await expect(await post(httpBase, "/auth/register", { username, email: `${username}@load.test`, password: PASSWORD }), 201, "register");
  const login = await expect(await post(httpBase, "/auth/login", { username, password: PASSWORD }), 200, "login");
  const character = await expect(await post(httpBase, "/characters", { name: `Walker ${tag}` }, login.access_token), 201, "character");
  return { token: login.access_token, character_id: character.id };
}

/** Sets up `count` bots, `concurrency` at a time; a failure is kept as null so the bot counts a failed join. */
export async function setUpBots(httpBase: string, count: number, concurrency = 16): Promise<(BotCredentials | null)[]> {
  const out: (BotCredentials | null)[] = new Array(count).fill(null);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      out[i] = await setUpBot(httpBase, String(i)).catch((err) => {
        process.stderr.write(`bot ${i} setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
        return null;
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
