import type { Request } from "express";
import { SIGNATURE_HEADER } from "../infra/payments/signature";
import type { CheckoutService } from "../services/payments/checkout";
import {
  adminProductView,
  checkoutBody,
  checkoutView,
  createProductBody,
  productIdParams,
  productView,
  updateProductBody,
  webhookEvent,
  webhookResultView,
} from "../services/payments/payments.schemas";
import type { ProductService } from "../services/payments/products";
import type { WebhookService } from "../services/payments/webhook";
import { pageOf, pageQuery } from "../services/pagination";
import type { Routes } from "./route";

/** This server's origin as the client reached it (a proxy on loopback may say https); a malformed Host is not echoed. */
export function originOf(req: Request): string {
  const host = req.get("host");
  const safeHost = host && /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : `127.0.0.1:${req.socket.localPort}`;
  return `${req.protocol}://${safeHost}`;
}

export interface PaymentServices {
  products: ProductService;
  checkout: CheckoutService;
  webhook: WebhookService;
}

export function paymentRoutes({ products, checkout, webhook }: PaymentServices) {
  return (r: Routes) => {
    r.add(
      { method: "get", path: "/payment/products", tag: "payments", summary: "Products on sale, cheapest first", auth: true, query: pageQuery, response: pageOf(productView) },
      ({ query }) => products.listActive(query),
    );
    r.add(
      { method: "post", path: "/payment/checkout", tag: "payments", summary: "Start buying a product: a pending payment and where to pay it", auth: true, body: checkoutBody, response: checkoutView, errors: { 404: "not_found (product)", 409: "product_inactive" } },
      ({ auth, body, req }) => checkout.start(auth, body.product_id, originOf(req)),
    );
    r.add(
      {
        method: "post",
        path: "/payment/webhook",
        tag: "payments",
        summary: `The payment provider's webhook, signed with ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
        rawBody: true,
        body: webhookEvent,
        status: 200,
        response: webhookResultView,
        errors: { 400: "invalid_signature, amount_mismatch, validation_failed", 404: "not_found (order)", 413: "payload_too_large" },
      },
      ({ rawBody, req }) => webhook.handle(rawBody, req.get(SIGNATURE_HEADER)),
    );
    r.add(
      { method: "post", path: "/admin/products", tag: "admin", summary: "Put a product on sale", roles: ["admin"], body: createProductBody, response: adminProductView, location: (product) => `/admin/products/${product.id}` },
      ({ body }) => products.create(body),
    );
    r.add(
      { method: "patch", path: "/admin/products/:id", tag: "admin", summary: "Change a product, or take it off sale (is_active: false)", roles: ["admin"], params: productIdParams, body: updateProductBody, response: adminProductView, errors: { 404: "not_found" } },
      ({ params, body }) => products.update(params.id, body),
    );
  };
}
