import type { EntityManager } from "typeorm";
import type { Database } from "../../infra/database";
import { conflict, notFound } from "../errors";
import type { Notifications } from "../notifications";
import { page, type Page, type PageQuery } from "../pagination";
import { foreignKeyViolation, uniqueViolation } from "../sql";
import type { AuthClaims } from "../tokens";
import type { DebitBatches } from "./debit-batches";
import { audit, balanceOf, credit, findByKey, history, IDEMPOTENCY_INDEX, type Applied, type Change } from "./ledger";
import {
  toPointTransaction,
  type GrantPointsInput,
  type PointChangeView,
  type PointsAuditView,
  type PointTransactionView,
  type UsePointsInput,
} from "./points.schemas";

const insufficient = () => conflict("insufficient_points", "The balance does not hold that many points.");
const keyReused = () =>
  conflict("idempotency_key_reused", "This idempotency key was already used for a different amount.");

/** What a user's inbox is told when their balance changes. */
export interface PointsChanged {
  balance: number;
  delta: number;
  reason: string;
  transaction_id: string;
}

const toChange = (a: Applied): PointChangeView => ({ balance: a.balance, transaction_id: a.transactionId });

/**
 * Points: balances, their ledger, spending and granting. Every change goes through
 * ledger.ts (one statement for balance and ledger row; uses that arrive together share
 * one, see DebitBatches); the user's inbox hears of it after it committed.
 */
export class PointService {
  constructor(
    private readonly db: Database,
    private readonly notifications: Notifications,
    private readonly debits: DebitBatches,
  ) {}

  async balance(claims: AuthClaims): Promise<{ balance: number }> {
    return { balance: await balanceOf(this.db.manager, claims.userId) };
  }

  async transactions(claims: AuthClaims, q: PageQuery): Promise<Page<PointTransactionView>> {
    const { rows, total } = await history(this.db.manager, claims.userId, q.limit, q.offset);
    return page(rows.map(toPointTransaction), total, q);
  }

  /**
   * Spends points if the balance holds them. With an idempotency key, the first use of
   * the key spends and every repeat, concurrent or later, answers what the first did.
   */
  async use(claims: AuthClaims, input: UsePointsInput): Promise<PointChangeView> {
    const key = input.idempotency_key;
    const change: Change = { userId: claims.userId, amount: input.amount, reason: input.reason, idempotencyKey: key };
    let applied: Applied | undefined;
    try {
      applied = await this.debits.debit(change);
    } catch (err) {
      // A concurrent first use of the key committed while this one ran: this statement rolled back.
      if (key !== undefined && uniqueViolation(err) === IDEMPOTENCY_INDEX) return this.replay(claims.userId, key, input.amount);
      throw err;
    }
    if (!applied) {
      // The balance may be short because this very key already spent it.
      if (key !== undefined) return this.replay(claims.userId, key, input.amount);
      throw insufficient();
    }
    await this.announce(claims.userId, applied, input.reason);
    return toChange(applied);
  }

  /** Adds points to any user's balance (admin). */
  async grant(admin: AuthClaims, input: GrantPointsInput): Promise<PointChangeView> {
    let applied: Applied;
    try {
      applied = await credit(this.db.manager, { userId: input.user_id, amount: input.amount, reason: input.reason, ref: `grant:${admin.userId}` });
    } catch (err) {
      if (foreignKeyViolation(err)) throw notFound("user");
      throw err;
    }
    await this.announce(input.user_id, applied, input.reason);
    return toChange(applied);
  }

  /** Credits a purchase inside the caller's transaction; the caller announces it after commit. */
  creditPurchase(m: EntityManager, userId: string, points: number, orderId: string): Promise<Applied> {
    return credit(m, { userId, amount: points, reason: "purchase", ref: `payment:${orderId}` });
  }

  /** Tells the user's inbox (and the event bus) of a committed change. */
  announce(userId: string, applied: Applied, reason: string): Promise<void> {
    return this.notifications.notify<PointsChanged>(userId, "points_changed", {
      balance: applied.balance,
      delta: applied.delta,
      reason,
      transaction_id: applied.transactionId,
    });
  }

  /** Every user whose balance is not the sum of their ledger. */
  verify(): Promise<PointsAuditView> {
    return audit(this.db.manager);
  }

  private async replay(userId: string, key: string, amount: number): Promise<PointChangeView> {
    const first = await findByKey(this.db.manager, userId, key);
    if (!first) throw insufficient();
    if (first.delta !== -amount) throw keyReused();
    return toChange(first);
  }
}
