import { Payment, Product } from "../../entities/payment.entity";
import type { Database } from "../../infra/database";
import type { SandboxProvider } from "../../infra/payments/sandbox";
import { DomainError, notFound } from "../errors";
import { WEBHOOK_RESULTS, type SandboxOrder, type SandboxResultView, type WebhookResult } from "./payments.schemas";

const orderNotFound = () => notFound("order");

/** Order ids are made by checkout.ts; anything else in a path names no order. */
const ORDER_ID = /^ord_[0-9a-f]{32}$/;

/**
 * The sandbox checkout: what its page shows of an order, and its Pay / Fail buttons.
 * A button does what a real provider does, on the server (the browser never sees the
 * webhook secret): it sends our webhook a signed event over HTTP, so trying the flow in
 * a browser exercises the very endpoint a provider calls.
 */
export class SandboxCheckout {
  constructor(
    private readonly db: Database,
    private readonly provider: SandboxProvider,
  ) {}

  async order(orderId: string): Promise<SandboxOrder> {
    const payment = await this.find(orderId);
    const product = await this.db.manager.findOneBy(Product, { id: payment.productId });
    return {
      order_id: payment.orderId,
      product_name: product?.name ?? "",
      points: payment.points,
      amount_cents: payment.amountCents,
      currency: payment.currency,
      status: payment.status,
    };
  }

  /** Pays or fails an order through the webhook at `webhookUrl`. */
  async settle(orderId: string, status: "paid" | "failed", webhookUrl: string): Promise<SandboxResultView> {
    const payment = await this.find(orderId);
    const delivery = await this.provider.deliver(webhookUrl, {
      order_id: payment.orderId,
      status,
      amount_cents: payment.amountCents,
      currency: payment.currency,
      provider_payment_id: this.provider.newPaymentId(),
    });
    const result = (delivery.body as { result?: unknown } | null)?.result;
    if (delivery.status !== 200 || !WEBHOOK_RESULTS.includes(result as WebhookResult)) {
      throw new DomainError(502, "webhook_failed", `The webhook answered ${delivery.status}.`);
    }
    const settled = await this.db.manager.findOneByOrFail(Payment, { id: payment.id });
    return { order_id: settled.orderId, status: settled.status, result: result as WebhookResult };
  }

  private async find(orderId: string): Promise<Payment> {
    const payment = ORDER_ID.test(orderId) ? await this.db.manager.findOneBy(Payment, { orderId, provider: this.provider.name }) : null;
    if (!payment) throw orderNotFound();
    return payment;
  }
}
