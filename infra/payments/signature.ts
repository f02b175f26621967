import crypto from "node:crypto";

/**
 * The webhook signature: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "<t>.<raw body>">`, keyed with PAYMENT_WEBHOOK_SECRET. The timestamp is inside the
 * MAC, so a captured event cannot be replayed with a fresh one.
 */
export const SIGNATURE_HEADER = "x-signature";

/** How far a signature's timestamp may be from our clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const mac = (secret: string, t: string, body: Buffer | string) =>
  crypto.createHmac("sha256", secret).update(`${t}.`).update(body).digest();

export function signWebhook(secret: string, body: Buffer | string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${mac(secret, String(t), body).toString("hex")}`;
}

/**
 * Whether `header` signs exactly `body` with `secret`, at a time within the tolerance of
 * `nowMs`. Several `v1` are accepted (a provider rotating its secret sends both);
 * each is compared in constant time.
 */
export function verifyWebhook(secret: string, header: string | undefined, body: Buffer, nowMs = Date.now()): boolean {
  if (!header || header.length > 1024) return false;
  let t: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const [key, value, extra] = part.trim().split("=");
    if (extra !== undefined || value === undefined) return false;
    if (key === "t") {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return false;
      t = value;
    } else if (key === "v1" && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(Buffer.from(value, "hex"));
    }
  }
  if (t === undefined || signatures.length === 0) return false;
  if (Math.abs(nowMs / 1000 - Number(t)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = mac(secret, t, body);
  let valid = false;
  for (const signature of signatures) valid = crypto.timingSafeEqual(expected, signature) || valid;
  return valid;
}
