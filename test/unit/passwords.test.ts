import assert from "node:assert/strict";
import { PASSWORD_PATTERN, passwordProblems, passwordRuleProblems } from "../../services/password-policy";
import { PasswordHasher } from "../../services/passwords";

describe("password policy", () => {
  it("accepts 8 to 128 characters with a letter and a digit, of any script", () => {
    assert.deepEqual(passwordProblems("abcdefg1"), []);
    assert.deepEqual(passwordProblems(`a1${"x".repeat(126)}`), []);
    assert.deepEqual(passwordProblems("pässwört9"), []);
    assert.deepEqual(passwordProblems("密码密码密码密码٣"), []);
  });

  it("names every reason a password is weak, not only the first", () => {
    assert.deepEqual(passwordProblems("abcdef1"), ["must have at least 8 characters"]);
    assert.deepEqual(passwordProblems(`a1${"x".repeat(127)}`), ["must have at most 128 characters"]);
    assert.deepEqual(passwordProblems("12345678"), ["must contain a letter"]);
    assert.deepEqual(passwordProblems(""), ["must have at least 8 characters", "must contain a letter", "must contain a digit"]);
    assert.deepEqual(passwordProblems("Player01", { username: "player01" }), ["must not equal the username"]);
    assert.deepEqual(passwordProblems("A1@example.test", { username: "someone", email: "a1@example.test" }), ["must not equal the email"]);
    assert.deepEqual(passwordProblems("abcdefgh", { username: "ABCDEFGH" }), ["must contain a digit", "must not equal the username"]);
  });

  it("documents as its pattern exactly the letter-and-digit rule it checks", () => {
    // JSON Schema patterns are ECMA-262 with Unicode semantics, as a validator compiles them.
    const documented = new RegExp(PASSWORD_PATTERN, "u");
    for (const sample of ["abcdefg1", "12345678", "abcdefgh", "pässwört9", "٣٣٣٣٣٣٣x", "\n\n1\na", "1\n\nb", "--------", "ab\u00001"]) {
      const checked = passwordRuleProblems(sample).filter((p) => /letter|digit/.test(p)).length === 0;
      assert.equal(documented.test(sample), checked, JSON.stringify(sample));
    }
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
