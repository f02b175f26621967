import crypto from "node:crypto";
import { IsNull, type EntityManager } from "typeorm";
import type { Config } from "../config";
import { EmailToken, PreverifiedEmail, type EmailTokenKind } from "../entities/email.entity";
import { User } from "../entities/user.entity";
import type { Database } from "../infra/database";
import type { AcceptedView } from "./accounts.schemas";
import { badRequest } from "./errors";
import type { Outbox } from "./outbox";
import { passwordProblems, weakPassword } from "./password-policy";
import type { PasswordHasher } from "./passwords";
import { sha256, type SessionService } from "./sessions";
import type { UserCache } from "./user-cache";

const VERIFY_TTL_SECONDS = 24 * 3600;
const PREVERIFIED_TTL_SECONDS = 24 * 3600;

const ACCEPTED: AcceptedView = {
  status: "accepted",
  detail: "If this address can receive mail from us, a message is on its way.",
};

const invalidToken = () => badRequest("invalid_token", "The token is invalid, expired or already used.");

/**
 * The flows that prove control of an email address with a single-use token sent
 * by mail: verification and password reset. The token and its mail are written in
 * one transaction; only the token's SHA-256 is stored.
 */
export class EmailFlows {
  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly users: UserCache,
    private readonly config: Pick<Config, "RESET_TOKEN_TTL">,
  ) {}

  /** Also for addresses without an account: verifying one pre-verifies a later registration. */
  async requestVerification(email: string): Promise<AcceptedView> {
    await this.db.transaction(async (m) => {
      const user = await findByEmail(m, email);
      if (user?.isVerified) return;
      await this.sendVerification(m, user?.email ?? email, user?.id ?? null);
    });
    return ACCEPTED;
  }

  /** Registration hook: runs in the registration's transaction. */
  sendVerification = async (m: EntityManager, email: string, userId: string | null): Promise<void> => {
    const token = await this.issue(m, "verify", email, userId, VERIFY_TTL_SECONDS);
    await this.outbox.enqueue(m, {
      to: email,
      subject: "Verify your Tavern email address",
      body: `Confirm this address with the token below (valid 24 hours):\n\n${token}\n\nPOST /api/v1/auth/email/verify {"token": "…"}`,
    });
  };

  async verify(token: string): Promise<{ email: string; verified: true }> {
    const { email, userId } = await this.db.transaction(async (m) => {
      const stored = await this.consume(m, "verify", token);
      const user = await findByEmail(m, stored.email);
      if (user) {
        if (!user.isVerified) await m.update(User, { id: user.id }, { isVerified: true });
      } else {
        const expiresAt = new Date(Date.now() + PREVERIFIED_TTL_SECONDS * 1000);
        await m.upsert(PreverifiedEmail, { email: stored.email.toLowerCase(), expiresAt }, ["email"]);
      }
      return { email: stored.email, userId: user?.id };
    });
    if (userId) await this.users.changed(userId);
    return { email, verified: true };
  }

  async forgotPassword(email: string): Promise<AcceptedView> {
    await this.db.transaction(async (m) => {
      const user = await findByEmail(m, email);
      if (!user) return;
      const token = await this.issue(m, "reset", user.email, user.id, this.config.RESET_TOKEN_TTL);
      await this.outbox.enqueue(m, {
        to: user.email,
        subject: "Reset your Tavern password",
        body: `Someone asked to reset the password of ${user.username}. If it was you, use this token (valid ${Math.ceil(this.config.RESET_TOKEN_TTL / 60)} minutes):\n\n${token}\n\nPOST /api/v1/auth/reset-password {"token": "…", "new_password": "…"}\n\nOtherwise ignore this mail.`,
      });
    });
    return ACCEPTED;
  }

  /** Sets a new password, marks the address verified (the mail arrived) and ends every session. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    // Hashing is slow: check the token and the policy first, outside the transaction,
    // then claim the token for real inside it.
    const candidate = await this.db.manager.findOneBy(EmailToken, { tokenHash: sha256(token), kind: "reset" });
    if (!candidate || !isUsable(candidate) || !candidate.userId) throw invalidToken();
    const user = await this.db.manager.findOneBy(User, { id: candidate.userId });
    if (!user) throw invalidToken();
    const weakness = passwordProblems(newPassword, user);
    if (weakness.length > 0) throw weakPassword(weakness, "new_password");
    const passwordHash = await this.passwords.hash(newPassword);
    const revokeLive = await this.db.transaction(async (m) => {
      await this.consume(m, "reset", token);
      await m.update(User, { id: user.id }, { passwordHash, isVerified: true });
      // Older reset mails for this account must not work after the password changed.
      await m.update(EmailToken, { userId: user.id, kind: "reset", usedAt: IsNull() }, { usedAt: new Date() });
      return this.sessions.revokeAll(m, user.id);
    });
    await this.users.changed(user.id);
    await revokeLive();
  }

  private async issue(m: EntityManager, kind: EmailTokenKind, email: string, userId: string | null, ttlSeconds: number) {
    const token = crypto.randomBytes(32).toString("base64url");
    await m.insert(EmailToken, {
      kind,
      tokenHash: sha256(token),
      userId,
      email: email.toLowerCase(),
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    });
    return token;
  }

  /** Marks a token used, under a row lock so two concurrent uses cannot both succeed. */
  private async consume(m: EntityManager, kind: EmailTokenKind, token: string): Promise<EmailToken> {
    const stored = await m.findOne(EmailToken, {
      where: { tokenHash: sha256(token), kind },
      lock: { mode: "pessimistic_write" },
    });
    if (!stored || !isUsable(stored)) throw invalidToken();
    await m.update(EmailToken, { id: stored.id }, { usedAt: new Date() });
    return stored;
  }
}

const isUsable = (t: EmailToken) => t.usedAt === null && t.expiresAt.getTime() > Date.now();

function findByEmail(m: EntityManager, email: string): Promise<User | null> {
  return m.createQueryBuilder(User, "u").where("lower(u.email) = lower(:email)", { email }).getOne();
}
