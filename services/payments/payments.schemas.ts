import { z } from "zod";
import { PAYMENT_STATUSES, type Payment, type Product } from "../../entities/payment.entity";

const currency = z.string().regex(/^[A-Z]{3}$/, "must be a three-letter currency code such as USD");
const points = z.number().int().min(1).max(1_000_000_000);
const priceCents = z.number().int().min(1).max(1_000_000_000);

export const createProductBody = z
  .strictObject({ name: z.string().trim().min(1).max(100), points, price_cents: priceCents, currency, is_active: z.boolean().optional() })
  .meta({ id: "CreateProductRequest" });
export type CreateProductInput = z.output<typeof createProductBody>;

export const updateProductBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    points: points.optional(),
    price_cents: priceCents.optional(),
    currency: currency.optional(),
    is_active: z.boolean().optional(),
  })
  .meta({ id: "UpdateProductRequest" });
export type UpdateProductInput = z.output<typeof updateProductBody>;

export const productIdParams = z.object({ id: z.string() });

export const productView = z
  .object({ id: z.uuid(), name: z.string(), points: z.number().int(), price_cents: z.number().int(), currency: z.string() })
  .meta({ id: "Product" });
export type ProductView = z.infer<typeof productView>;

export const adminProductView = productView
  .extend({ is_active: z.boolean(), created_at: z.string(), updated_at: z.string() })
  .meta({ id: "AdminProduct" });
export type AdminProductView = z.infer<typeof adminProductView>;

export const toProduct = (p: Product): ProductView => ({
  id: p.id,
  name: p.name,
  points: p.points,
  price_cents: p.priceCents,
  currency: p.currency,
});

export const toAdminProduct = (p: Product): AdminProductView => ({
  ...toProduct(p),
  is_active: p.isActive,
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
});

export const checkoutBody = z.strictObject({ product_id: z.uuid() }).meta({ id: "CheckoutRequest" });

export const checkoutView = z
  .object({ payment_id: z.uuid(), order_id: z.string(), status: z.literal("pending"), checkout_url: z.string() })
  .meta({ id: "Checkout" });
export type CheckoutView = z.infer<typeof checkoutView>;

/** What the provider's webhook carries; read only once its signature checked out. */
export const webhookEvent = z
  .strictObject({
    order_id: z.string().min(1).max(64),
    status: z.enum(["paid", "failed"]),
    amount_cents: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    currency: z.string().min(1).max(16),
    provider_payment_id: z.string().min(1).max(200),
  })
  .meta({ id: "PaymentWebhookEvent" });

export const WEBHOOK_RESULTS = ["processed", "Already processed"] as const;
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];
export const webhookResultView = z.object({ result: z.enum(WEBHOOK_RESULTS) }).meta({ id: "PaymentWebhookResult" });

export const orderIdParams = z.object({ order_id: z.string() });

export const sandboxActionBody = z.strictObject({ status: z.enum(["paid", "failed"]) }).meta({ id: "SandboxPaymentRequest" });

export const sandboxResultView = z
  .object({ order_id: z.string(), status: z.enum(PAYMENT_STATUSES), result: z.enum(WEBHOOK_RESULTS) })
  .meta({ id: "SandboxPaymentResult" });
export type SandboxResultView = z.infer<typeof sandboxResultView>;

/** What the sandbox checkout page shows of an order. */
export interface SandboxOrder {
  order_id: string;
  product_name: string;
  points: number;
  amount_cents: number;
  currency: string;
  status: Payment["status"];
}
