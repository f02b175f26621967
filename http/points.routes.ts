import { pageOf, pageQuery } from "../services/pagination";
import {
  balanceView,
  grantPointsBody,
  pointChangeView,
  pointsAuditView,
  pointTransactionView,
  usePointsBody,
} from "../services/payments/points.schemas";
import type { PointService } from "../services/payments/points";
import type { Routes } from "./route";

export function pointRoutes(points: PointService) {
  return (r: Routes) => {
    r.add(
      { method: "get", path: "/point/balance", tag: "points", summary: "The caller's points", auth: true, response: balanceView },
      ({ auth }) => points.balance(auth),
    );
    r.add(
      { method: "get", path: "/point/transactions", tag: "points", summary: "The caller's points ledger, newest first", auth: true, query: pageQuery, response: pageOf(pointTransactionView) },
      ({ auth, query }) => points.transactions(auth, query),
    );
    r.add(
      {
        method: "post",
        path: "/point/use",
        tag: "points",
        summary: "Spend points; a repeated idempotency_key returns the first result",
        auth: true,
        body: usePointsBody,
        status: 200,
        response: pointChangeView,
        errors: { 409: "insufficient_points, idempotency_key_reused" },
      },
      ({ auth, body }) => points.use(auth, body),
    );
    r.add(
      { method: "post", path: "/admin/points/grant", tag: "admin", summary: "Give a user points", roles: ["admin"], body: grantPointsBody, status: 200, response: pointChangeView, errors: { 404: "not_found (user)" } },
      ({ auth, body }) => points.grant(auth, body),
    );
    r.add(
      { method: "get", path: "/admin/points/verify", tag: "admin", summary: "Users whose balance differs from the sum of their ledger", roles: ["admin"], response: pointsAuditView },
      () => points.verify(),
    );
  };
}
