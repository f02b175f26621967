import crypto from "node:crypto";
import { Payment } from "../../entities/payment.entity";
import type { Database } from "../../infra/database";
import type { PaymentProvider } from "../../infra/payments/provider";
import type { AuthClaims } from "../tokens";
import type { CheckoutView } from "./payments.schemas";
import type { ProductService } from "./products";

/** 128 random bits: the order id is all a checkout page needs to find (and, in the sandbox, to pay) an order. */
const newOrderId = () => `ord_${crypto.randomBytes(16).toString("hex")}`;

/** Starting a purchase: a pending payment for an active product, and where to pay it. */
export class CheckoutService {
  constructor(
    private readonly db: Database,
    private readonly products: ProductService,
    private readonly provider: PaymentProvider,
  ) {}

  /** `origin`: this server as the buyer reached it, for a provider whose page is ours. */
  async start(claims: AuthClaims, productId: string, origin: string): Promise<CheckoutView> {
    const payment = await this.db.transaction(async (m) => {
      const product = await this.products.forCheckout(m, productId);
      return m.save(
        m.create(Payment, {
          orderId: newOrderId(),
          userId: claims.userId,
          productId: product.id,
          points: product.points,
          amountCents: product.priceCents,
          currency: product.currency,
          provider: this.provider.name,
          status: "pending",
        }),
      );
    });
    return {
      payment_id: payment.id,
      order_id: payment.orderId,
      status: "pending",
      checkout_url: this.provider.checkoutUrl(payment.orderId, origin),
    };
  }
}
