import { signWebhook } from "../../infra/payments/signature";
import { api, type ApiResponse } from "./api";
import { TEST_ENV } from "./backend";

export const WEBHOOK = "/api/v1/payment/webhook";

export interface WebhookBody {
  order_id: string;
  status: "paid" | "failed";
  amount_cents: number;
  currency: string;
  provider_payment_id: string;
}

/** Posts `body` (an event, or exact bytes) to the webhook, signed as the provider would unless `signature` says otherwise. */
export function postWebhook(
  body: WebhookBody | string,
  options: { signature?: string | null; t?: number; secret?: string; base?: string } = {},
): Promise<ApiResponse> {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const signature =
    options.signature === undefined ? signWebhook(options.secret ?? TEST_ENV.PAYMENT_WEBHOOK_SECRET!, raw, options.t) : options.signature;
  return api("POST", WEBHOOK, { raw, headers: signature === null ? {} : { "x-signature": signature }, base: options.base });
}

let productCount = 0;

/** A product put on sale by the admin `token`. */
export async function newProduct(token: string, fields: Partial<{ name: string; points: number; price_cents: number; currency: string; is_active: boolean }> = {}) {
  const res = await api("POST", "/api/v1/admin/products", {
    token,
    body: { name: `Pack ${++productCount}`, points: 100, price_cents: 499, currency: "USD", ...fields },
  });
  if (res.status !== 201) throw new Error(`product: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; points: number; price_cents: number; currency: string; is_active: boolean };
}

/** A pending checkout of `productId` by the user `token`. */
export async function checkout(token: string, productId: string) {
  const res = await api("POST", "/api/v1/payment/checkout", { token, body: { product_id: productId } });
  if (res.status !== 201) throw new Error(`checkout: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { payment_id: string; order_id: string; status: "pending"; checkout_url: string };
}

export async function balanceOf(token: string, base?: string): Promise<number> {
  const res = await api("GET", "/api/v1/point/balance", { token, base });
  if (res.status !== 200) throw new Error(`balance: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.balance as number;
}

/** Gives `userId` points as the admin `token`. */
export async function grant(token: string, userId: string, amount: number, base?: string) {
  const res = await api("POST", "/api/v1/admin/points/grant", { token, body: { user_id: userId, amount, reason: "test grant" }, base });
  if (res.status !== 200) throw new Error(`grant: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { balance: number; transaction_id: string };
}
