import argon2 from "argon2";

/**
 * Reference for login throughput: argon2id verifications alone, at the server's cost
 * parameters and the same concurrency as the login load, for `seconds`. Prints
 * `{"verifies_per_second": n}`.
 */
async function main() {
  const memoryCost = Number(process.env.ARGON2_MEMORY_KIB ?? 19456);
  const timeCost = Number(process.env.ARGON2_ITERATIONS ?? 2);
  const parallelism = Number(process.env.ARGON2_PARALLELISM ?? 1);
  const concurrency = Number(process.env.CONCURRENCY ?? 10);
  const seconds = Number(process.env.SECONDS ?? 10);
  const hash = await argon2.hash("correct-horse-1", { type: argon2.argon2id, memoryCost, timeCost, parallelism });
  let done = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await argon2.verify(hash, "correct-horse-1");
        done++;
      }
    }),
  );
  process.stdout.write(JSON.stringify({ verifies_per_second: done / ((Date.now() - started) / 1000) }) + "\n");
}

void main();
