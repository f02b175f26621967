import fs from "node:fs";
import path from "node:path";
import type { SandboxOrder } from "../../services/payments/payments.schemas";

/** The page's script, a file of its own (the CSP refuses inline scripts), read once. */
export const SANDBOX_SCRIPT = fs.readFileSync(path.join(__dirname, "checkout.js"), "utf8");

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** The sandbox checkout page of one order; `action` is where its buttons post, `script` its script's URL. */
export function sandboxPage(order: SandboxOrder, urls: { action: string; script: string }): string {
  const open = order.status === "pending";
  const disabled = open ? "" : " disabled";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox checkout · Tavern</title>
<link rel="icon" href="data:,">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  .note { background: #fff6d6; border: 1px solid #e8d48a; padding: .5rem .75rem; border-radius: 4px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  dt { font-weight: 600; }
  button { font-size: 1rem; padding: .5rem 1.5rem; margin-right: .5rem; cursor: pointer; }
  button:disabled { cursor: default; opacity: .5; }
</style>
<script src="${escapeHtml(urls.script)}" defer></script>
</head>
<body>
<main id="checkout" data-action="${escapeHtml(urls.action)}" data-state="${escapeHtml(order.status)}">
<h1>Sandbox checkout</h1>
<p class="note">No money moves here: this page stands in for a payment provider. Pay and Fail send the signed webhook a provider would.</p>
<dl>
  <dt>Order</dt><dd>${escapeHtml(order.order_id)}</dd>
  <dt>Product</dt><dd id="product">${escapeHtml(order.product_name)}</dd>
  <dt>Points</dt><dd id="points">${order.points}</dd>
  <dt>Amount</dt><dd>${escapeHtml(money(order.amount_cents, order.currency))}</dd>
  <dt>Status</dt><dd id="status">${escapeHtml(order.status)}</dd>
</dl>
<p>
  <button id="pay" type="button"${disabled}>Pay</button>
  <button id="fail" type="button"${disabled}>Fail</button>
</p>
<p id="result" role="status">${open ? "" : "This order is already settled."}</p>
</main>
</body>
</html>
`;
}
