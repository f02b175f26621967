import type { Request } from "express";
import { orderIdParams, sandboxActionBody, sandboxResultView } from "../services/payments/payments.schemas";
import type { SandboxCheckout } from "../services/payments/sandbox";
import { API_BASE } from "./index";
import type { Routes } from "./route";
import { SANDBOX_SCRIPT, sandboxPage } from "./sandbox/page";

/** Where the sandbox checkout pages live, below the API base (the provider builds checkout_url from it). */
export const SANDBOX_PATH = "/payment/sandbox";

/** Our own webhook, at the address this request reached us on: the sandbox delivers to this very process. */
function ownWebhookUrl(req: Request): string {
  const address = req.socket.localAddress ?? "127.0.0.1";
  const host = address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}${API_BASE}/payment/webhook`;
}

/** The sandbox provider's checkout page, its script, and its Pay / Fail action. */
export function paymentSandboxRoutes(sandbox: SandboxCheckout) {
  return (r: Routes) => {
    // Before /:order_id, which would take the file name for an order id.
    r.add(
      { method: "get", path: `${SANDBOX_PATH}/checkout.js`, tag: "payments", summary: "Script of the sandbox checkout page (JavaScript)" },
      ({ res }) => {
        res.type("text/javascript").setHeader("Cache-Control", "public, max-age=300");
        res.send(SANDBOX_SCRIPT);
      },
    );
    r.add(
      { method: "get", path: `${SANDBOX_PATH}/:order_id`, tag: "payments", summary: "Sandbox checkout page of an order (HTML), the checkout_url of the sandbox provider", params: orderIdParams, errors: { 404: "not_found (order)" } },
      async ({ params, res }) => {
        const order = await sandbox.order(params.order_id);
        const action = `${API_BASE}${SANDBOX_PATH}/${encodeURIComponent(order.order_id)}`;
        res.type("html").setHeader("Cache-Control", "no-store");
        res.send(sandboxPage(order, { action, script: `${API_BASE}${SANDBOX_PATH}/checkout.js` }));
      },
    );
    r.add(
      { method: "post", path: `${SANDBOX_PATH}/:order_id`, tag: "payments", summary: "Pay or fail a sandbox order: the server sends the signed webhook a provider would", params: orderIdParams, body: sandboxActionBody, status: 200, response: sandboxResultView, errors: { 404: "not_found (order)", 502: "webhook_failed" } },
      ({ params, body, req }) => sandbox.settle(params.order_id, body.status, ownWebhookUrl(req)),
    );
  };
}
