/** What a payment provider does for us: take the buyer to pay; its webhook tells the outcome. */
export interface PaymentProvider {
  readonly name: string;
  /** Where the buyer pays for `orderId`; `origin` is this server's, as the buyer reached it. */
  checkoutUrl(orderId: string, origin: string): string;
}

/** The body of a provider's webhook. */
export interface WebhookEvent {
  order_id: string;
  status: "paid" | "failed";
  amount_cents: number;
  currency: string;
  provider_payment_id: string;
}
