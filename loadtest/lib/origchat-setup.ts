/**
 * The REST half of an origchat bot: a fresh user, logged in, with a story of its own and
 * a session on it. Used by the bot itself and, for the benchmark, up front.
 */
export interface PlayerCredentials {
  token: string;
  session_id: string;
}

const PASSWORD = "load-test-password-1";
const CONTENT = "Mara lit the lamps along the harbour while the fog came in. ".repeat(20);

async function post(httpBase: string, path: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(`${httpBase}/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function setUpPlayer(httpBase: string, tag: string): Promise<PlayerCredentials> {
  const username = `oc${tag}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
  await post(httpBase, "/auth/register", { username, email: `${username}@load.test`, password: PASSWORD });
  const { access_token: token } = await post(httpBase, "/auth/login", { username, password: PASSWORD });
  const story = await post(httpBase, "/stories", { title: `Harbour ${tag}`, summary: "A lamplighter and a missing boat.", content: CONTENT }, token);
  const { session_id } = await post(httpBase, "/chat/origchat/start", { story_id: story.id, force_new: true }, token);
  return { token, session_id };
}

/** Sets up `count` players, `concurrency` at a time; a failure is kept as null so the bot counts a failed join. */
export async function setUpPlayers(httpBase: string, count: number, concurrency = 16): Promise<(PlayerCredentials | null)[]> {
  const out: (PlayerCredentials | null)[] = new Array(count).fill(null);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      out[i] = await setUpPlayer(httpBase, String(i)).catch((err) => {
        process.stderr.write(`player ${i} setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
        return null;
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
