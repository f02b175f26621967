import crypto from "node:crypto";
import type { PaymentProvider, WebhookEvent } from "./provider";
import { SIGNATURE_HEADER, signWebhook } from "./signature";

const DELIVERY_TIMEOUT_MS = 10_000;

export interface Delivery {
  status: number;
  body: unknown;
}

/**
 * The built-in provider for trying the purchase flow without one: its checkout page is
 * a page of this server, and it completes or fails a payment the way a real provider
 * does, by sending a signed webhook over HTTP. It charges nobody: anyone holding an
 * order's checkout URL can mark it paid.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = "sandbox";

  /** `pagePath`: where this server serves the checkout page, below its origin. */
  constructor(
    private readonly secret: string,
    private readonly pagePath: string,
  ) {}

  checkoutUrl(orderId: string, origin: string): string {
    return `${origin}${this.pagePath}/${encodeURIComponent(orderId)}`;
  }

  /** A sandbox payment id, as a provider would assign one. */
  newPaymentId(): string {
    return `sbx_${crypto.randomBytes(12).toString("hex")}`;
  }

  /** Sends `event`, signed now, to `webhookUrl`; resolves to the webhook's answer. */
  async deliver(webhookUrl: string, event: WebhookEvent): Promise<Delivery> {
    const body = JSON.stringify(event);
    const res = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signWebhook(this.secret, body) },
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the report
    }
    return { status: res.status, body: parsed };
  }
}
