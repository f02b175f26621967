// The sandbox checkout page's buttons. Served as a file of its own: the Content
// Security Policy allows scripts from this origin only, never inline ones.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("checkout");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const pay = document.getElementById("pay");
  const fail = document.getElementById("fail");

  const settled = {
    paid: "Paid: the points are credited to the account.",
    failed: "The payment failed: nothing was credited.",
  };

  async function settle(outcome) {
    pay.disabled = fail.disabled = true;
    result.textContent = "Sending the signed webhook…";
    try {
      const res = await fetch(root.dataset.action, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: outcome }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body.detail || `HTTP ${res.status}`);
      status.textContent = body.status;
      result.textContent = body.result === "processed" ? settled[body.status] : `This order was already settled (${body.status}).`;
      root.dataset.state = body.status;
    } catch (err) {
      result.textContent = `The order could not be settled: ${err.message}`;
      pay.disabled = fail.disabled = false;
    }
  }

  pay.addEventListener("click", () => settle("paid"));
  fail.addEventListener("click", () => settle("failed"));
});
