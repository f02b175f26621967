import argon2 from "argon2";
import type { Config } from "../config";

/** argon2id with the configured cost. */
export class PasswordHasher {
  private readonly options: { type: 2; memoryCost: number; timeCost: number; parallelism: number };
  private dummyHash: Promise<string> | undefined;

  constructor(config: Pick<Config, "ARGON2_MEMORY_KIB" | "ARGON2_ITERATIONS" | "ARGON2_PARALLELISM">) {
    this.options = {
      type: argon2.argon2id as 2,
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_ITERATIONS,
      parallelism: config.ARGON2_PARALLELISM,
    };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /**
   * Spends one verification's worth of time for a user that does not exist, so that a
   * login cannot tell "unknown user" from "wrong password" by its duration.
   */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash("not-a-real-password-0");
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
