import assert from "node:assert/strict";
import { TavernLocalPresence } from "../../infra/presence";
import { Character } from "../../entities/character.entity";
import { User } from "../../entities/user.entity";
import { Database } from "../../infra/database";
import { EventBus, type DomainEvent } from "../../infra/events";
import { createLogger } from "../../infra/logger";
import { WriteLimits } from "../../infra/write-limits";
import { BackgroundService } from "../../services/backgrounds";
import { CharacterService, type CharacterCreatedEvent } from "../../services/characters";
import { VersionedCache } from "../../services/versioned-cache";
import type { AuthClaims } from "../../services/tokens";

/**
 * The embedded test server's presence lives inside its process, out of a client's reach,
 * so the event is observed here on a service wired the way arena.config.ts wires it.
 */
describe("character.created on the event bus", () => {
  const presence = new TavernLocalPresence();
  const logger = createLogger("silent");
  const db = new Database({ DATABASE_URL: "pglite://memory", DATA_DIR: "./data" }, logger);
  const events = new EventBus(presence);
  const characters = new CharacterService(
    db,
    new VersionedCache(presence, 60, logger),
    events,
    new BackgroundService(db),
    { DEFAULT_CHARACTER_CLASS: "adventurer", WORLD_ZONE_ID: "starter", CHARACTER_CACHE_TTL: 60 },
    logger,
    new WriteLimits(undefined, { dm: 100, character: 100, say: 100, turn: 100 }),
  );
  let claims: AuthClaims;

  before(async function () {
    this.timeout(30_000);
    await db.start();
    const user = await db.manager.save(db.manager.create(User, { username: "eventful", email: "eventful@example.test", passwordHash: "x" }));
    claims = { userId: user.id, roles: ["player"], jti: "j", sid: "s", expiresAt: Date.now() / 1000 + 60 };
  });

  after(async () => {
    await db.stop();
    presence.shutdown();
  });

  it("is published after the character is committed, with its id, owner, name and zone", async () => {
    const seen: Array<{ event: DomainEvent<CharacterCreatedEvent>; stored: Promise<Character | null> }> = [];
    const off = await events.subscribe<CharacterCreatedEvent>("character.created", (event) => {
      seen.push({ event, stored: db.manager.findOneBy(Character, { id: event.data.character_id }) });
    });
    try {
      const created = await characters.create(claims, { name: "Herald" });
      assert.equal(seen.length, 1);
      assert.deepEqual(seen[0]!.event.data, { character_id: created.id, owner_id: claims.userId, name: "Herald", zone_id: "starter" });
      assert.equal((await seen[0]!.stored)?.name, "Herald", "the row is visible to whoever hears the event");
    } finally {
      off();
    }
  });

  it("is not published when the create fails", async () => {
    const seen: unknown[] = [];
    const off = await events.subscribe("character.created", (event) => seen.push(event));
    try {
      await assert.rejects(
        characters.create(claims, { name: "Orphan", background_id: "00000000-0000-4000-8000-000000000000" }),
        { code: "not_found" },
      );
      assert.deepEqual(seen, []);
    } finally {
      off();
    }
  });
});
