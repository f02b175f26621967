import { Payment } from "../../entities/payment.entity";
import type { Database } from "../../infra/database";
import { verifyWebhook } from "../../infra/payments/signature";
import { badRequest, notFound, validationFailed } from "../errors";
import type { Notifications } from "../notifications";
import { parseOrThrow } from "../validation";
import type { Applied } from "./ledger";
import { webhookEvent, type WebhookResult } from "./payments.schemas";
import type { PointService } from "./points";

/** What a user's inbox is told when a payment of theirs is settled, either way. */
export interface PaymentCompleted {
  payment_id: string;
  order_id: string;
  status: "paid" | "failed";
  points: number;
  balance?: number;
}

const invalidSignature = () => badRequest("invalid_signature", "The webhook signature is missing, wrong or too old.");

/**
 * The payment provider's webhook. Nothing is read before the signature over the exact
 * bytes received checks out. A pending payment is settled once: the status change and
 * the credit commit together, under the payment row's lock, so a replayed or concurrent
 * event finds it settled and changes nothing.
 */
export class WebhookService {
  constructor(
    private readonly db: Database,
    private readonly points: PointService,
    private readonly notifications: Notifications,
    private readonly secret: string,
  ) {}

  async handle(rawBody: Buffer, signature: string | undefined): Promise<{ result: WebhookResult }> {
    if (!verifyWebhook(this.secret, signature, rawBody)) throw invalidSignature();
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString("utf8"));
    } catch {
      throw validationFailed([{ field: "body", message: "is not valid JSON" }]);
    }
    const event = parseOrThrow(webhookEvent, json);

    const settled = await this.db.transaction(async (m) => {
      const payment = await m.findOne(Payment, { where: { orderId: event.order_id }, lock: { mode: "pessimistic_write" } });
      if (!payment) throw notFound("order");
      if (payment.status !== "pending") return undefined;
      if (payment.amountCents !== event.amount_cents || payment.currency !== event.currency) {
        throw badRequest("amount_mismatch", "The amount does not match the order.");
      }
      payment.status = event.status;
      payment.providerPaymentId = event.provider_payment_id;
      payment.completedAt = new Date();
      await m.save(payment);
      const credited = event.status === "paid" ? await this.points.creditPurchase(m, payment.userId, payment.points, payment.orderId) : undefined;
      return { payment, credited };
    });
    if (!settled) return { result: "Already processed" };
    await this.announce(settled.payment, settled.credited);
    return { result: "processed" };
  }

  private async announce(payment: Payment, credited: Applied | undefined) {
    if (credited) await this.points.announce(payment.userId, credited, "purchase");
    await this.notifications.notify<PaymentCompleted>(payment.userId, "payment_completed", {
      payment_id: payment.id,
      order_id: payment.orderId,
      status: payment.status as "paid" | "failed",
      points: credited ? payment.points : 0,
      ...(credited ? { balance: credited.balance } : {}),
    });
  }
}
