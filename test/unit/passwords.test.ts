import assert from "node:assert/strict";
import { PasswordHasher, passwordWeakness } from "../../services/passwords";

describe("password policy", () => {
  it("accepts 8 to 128 characters with a letter and a digit", () => {
    assert.equal(passwordWeakness("abcdefg1"), undefined);
    assert.equal(passwordWeakness(`a1${"x".repeat(126)}`), undefined);
    assert.equal(passwordWeakness("pässwört9"), undefined);
  });

  it("names why a password is weak", () => {
    assert.equal(passwordWeakness("abcdef1"), "must be at least 8 characters");
    assert.equal(passwordWeakness(`a1${"x".repeat(127)}`), "must be at most 128 characters");
    assert.equal(passwordWeakness("12345678"), "must contain a letter");
    assert.equal(passwordWeakness("abcdefgh"), "must contain a digit");
    assert.equal(passwordWeakness("Player01", "player01"), "must not equal the username");
    assert.equal(passwordWeakness("A1@example.test", "someone", "a1@example.test"), "must not equal the email");
  });
});

describe("password hashing", () => {
  const hasher = new PasswordHasher({ ARGON2_MEMORY_KIB: 4096, ARGON2_ITERATIONS: 1, ARGON2_PARALLELISM: 1 });

  it("hashes with argon2id and verifies only the right password", async () => {
    const hash = await hasher.hash("correct-horse-1");
    assert.match(hash, /^\$argon2id\$/);
    assert.equal(await hasher.verify(hash, "correct-horse-1"), true);
    assert.equal(await hasher.verify(hash, "correct-horse-2"), false);
  });

  it("treats a malformed stored hash as a mismatch, not an error", async () => {
    assert.equal(await hasher.verify("not-a-hash", "anything-1"), false);
    assert.equal(await hasher.verifyNothing("anything-1"), false);
  });
});
