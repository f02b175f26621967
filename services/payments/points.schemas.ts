import { z } from "zod";
import type { LedgerRow } from "./ledger";

/** One change is at most a billion points: far past any purchase, far below bigint's range. */
const amount = z.number().int().min(1).max(1_000_000_000);
const reason = z.string().trim().min(1).max(200);

export const usePointsBody = z
  .strictObject({
    amount,
    reason,
    /** A repeat with the same key returns the first result instead of spending again. */
    idempotency_key: z.string().min(1).max(128).optional(),
  })
  .meta({ id: "UsePointsRequest" });
export type UsePointsInput = z.output<typeof usePointsBody>;

export const grantPointsBody = z.strictObject({ user_id: z.uuid(), amount, reason }).meta({ id: "GrantPointsRequest" });
export type GrantPointsInput = z.output<typeof grantPointsBody>;

export const balanceView = z.object({ balance: z.number().int() }).meta({ id: "PointBalance" });

export const pointChangeView = z.object({ balance: z.number().int(), transaction_id: z.uuid() }).meta({ id: "PointChange" });
export type PointChangeView = z.infer<typeof pointChangeView>;

export const pointTransactionView = z
  .object({
    id: z.uuid(),
    delta: z.number().int(),
    balance_after: z.number().int(),
    reason: z.string(),
    ref: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "PointTransaction" });
export type PointTransactionView = z.infer<typeof pointTransactionView>;

export const pointsAuditView = z
  .object({
    checked: z.number().int(),
    mismatches: z.array(z.object({ user_id: z.uuid(), balance: z.number().int(), ledger_sum: z.number().int() })),
  })
  .meta({ id: "PointsAudit" });
export type PointsAuditView = z.infer<typeof pointsAuditView>;

export const toPointTransaction = (row: LedgerRow): PointTransactionView => ({
  id: row.id,
  delta: Number(row.delta),
  balance_after: Number(row.balance_after),
  reason: row.reason,
  ref: row.ref,
  created_at: new Date(row.created_at).toISOString(),
});
