import { Client } from "@colyseus/sdk";
import { ApiError } from "./api";
import { byId, el, fields } from "./dom";
import { Game } from "./game";
import { Notices } from "./notices";
import { Session, type EndReason } from "./session";

/**
 * The /demo page: sign in (or a `#token=…&character=…` deep link), pick or create a
 * character, then play. Everything is wired here; each part lives in its own module.
 */

const session = new Session();
// Same origin as the page: the SDK derives ws:// or wss:// from it.
const client = new Client();
const notices = new Notices();
const maxStep = Number(document.body.dataset.maxStep) || 5;
let game: Game | undefined;

const views = { auth: byId("auth-view"), characters: byId("character-view"), game: byId("game-view") };

function show(view: keyof typeof views): void {
  for (const [name, element] of Object.entries(views)) element.hidden = name !== view;
  const user = session.user;
  byId("whoami").hidden = !user;
  byId("whoami").textContent = user ? `Signed in as ${user.username}` : "";
  byId("sign-out").hidden = !user;
}

const problem = (err: unknown) =>
  err instanceof ApiError ? err.describe() : err instanceof TypeError ? "The server is unreachable." : err instanceof Error ? err.message : String(err);

const ENDINGS: Record<EndReason, string> = {
  expired: "Your session expired: sign in again.",
  revoked: "Your session was ended (signed out elsewhere, password changed or account disabled): sign in again.",
  signed_out: "",
};

function showAuth(message = ""): void {
  byId("auth-error").textContent = message;
  show("auth");
  byId("login-username").focus();
}

async function showCharacters(message = ""): Promise<void> {
  await leaveGame();
  show("characters");
  byId("character-error").textContent = message;
  const list = byId<HTMLUListElement>("character-list");
  list.replaceChildren();
  try {
    const page = await session.api.characters();
    for (const character of page.items) {
      const button = el("button", { type: "button", "data-character-id": character.id }, `Play ${character.name} (${character.class})`);
      button.addEventListener("click", () => void enterGame(character.id));
      const item = el("li");
      item.append(button);
      list.append(item);
    }
    if (page.items.length === 0) list.append(el("li", {}, "No characters yet: create one below."));
  } catch (err) {
    byId("character-error").textContent = problem(err);
  }
}

async function enterGame(characterId: string): Promise<void> {
  await leaveGame();
  notices.hideNotice();
  show("game");
  const current = new Game(session, client, characterId, maxStep, notices, {
    revoked: () => session.end("revoked"),
    chooseCharacter: () => void showCharacters(),
  });
  game = current;
  try {
    await current.start();
    byId("world-canvas").focus();
  } catch (err) {
    if (game !== current) return;
    await leaveGame();
    const code = (err as { code?: unknown }).code;
    if (code === 401) return session.end("revoked");
    await showCharacters(`Could not join the world: ${problem(err)}`);
  }
}

async function leaveGame(): Promise<void> {
  const current = game;
  game = undefined;
  await current?.stop();
}

/** `#token=<access_token>&character=<id>`: read once, then taken out of the address bar and history. */
function takeDeepLink(): { token: string; character?: string } | undefined {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (!token) return undefined;
  history.replaceState(null, "", location.pathname + location.search);
  return { token, character: params.get("character") ?? undefined };
}

function bindForms(): void {
  const submit = (id: string, errorId: string, action: (values: Record<string, string>) => Promise<void>) => {
    const form = byId<HTMLFormElement>(id);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const button = form.querySelector("button");
      if (button) button.disabled = true;
      byId(errorId).textContent = "";
      action(fields(form))
        .catch((err) => (byId(errorId).textContent = problem(err)))
        .finally(() => button && (button.disabled = false));
    });
  };
  submit("login-form", "auth-error", async ({ username, password }) => {
    await session.login(username!, password!);
    await showCharacters();
  });
  submit("register-form", "auth-error", async ({ username, email, password }) => {
    await session.register(username!, email!, password!);
    await showCharacters();
  });
  submit("character-form", "character-error", async ({ name }) => {
    const character = await session.api.createCharacter(name!);
    byId<HTMLInputElement>("character-name").value = "";
    await enterGame(character.id);
  });
  byId("sign-out").addEventListener("click", () => {
    void leaveGame().then(() => session.signOut());
  });
}

async function boot(): Promise<void> {
  bindForms();
  // Leaving on purpose frees the seat at once; a closed tab would otherwise hold it for the reconnection window.
  addEventListener("pagehide", () => void leaveGame());
  session.onEnd((reason) => {
    void leaveGame();
    notices.hideNotice();
    showAuth(ENDINGS[reason]);
  });
  const link = takeDeepLink();
  if (link) {
    try {
      await session.adoptAccessToken(link.token);
    } catch (err) {
      return showAuth(`The link did not sign you in: ${problem(err)}`);
    }
    return link.character ? enterGame(link.character) : showCharacters();
  }
  if (session.restore()) return showCharacters();
  showAuth();
}

void boot();
