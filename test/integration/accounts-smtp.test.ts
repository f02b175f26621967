import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import { adminUser, api, uniqueName } from "../support/api";
import { startServerProcess, type ServerProcess } from "../support/process";
import { freePort } from "../support/server";
import { embeddedOnly } from "../support/backend";

interface Received {
  from: string;
  to: string[];
  data: string;
}

/** A real SMTP server (nodemailer's smtp-server) receiving what the outbox worker sends. */
describe("accounts: outbox delivery over SMTP (spawned server)", function () {
  before(function () {
    embeddedOnly(this);
  });
  this.timeout(120_000);
  const received: Received[] = [];
  let smtp: SMTPServer;
  let srv: ServerProcess;

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, session, callback) {
        let data = "";
        stream.on("data", (chunk: Buffer) => (data += chunk));
        stream.on("end", () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            data,
          });
          callback();
        });
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => smtp.listen(port, "127.0.0.1", resolve));
    srv = await startServerProcess({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: "Tavern <no-reply@tavern.test>" });
  });

  after(async () => {
    await srv?.stop();
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it("delivers a password-reset email to the recipient and marks it sent", async () => {
    const username = uniqueName("mail");
    const email = `${username}@example.test`;
    const reg = await api("POST", "/api/v1/auth/register", { body: { username, email, password: "correct-horse-1" }, base: srv.url });
    assert.equal(reg.status, 201);
    assert.equal((await api("POST", "/api/v1/auth/forgot-password", { body: { email }, base: srv.url })).status, 202);

    const deadline = Date.now() + 20_000;
    while (!received.some((m) => m.to.includes(email)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const mail = received.find((m) => m.to.includes(email));
    assert.ok(mail, "the SMTP server received the mail");
    assert.equal(mail.from, "no-reply@tavern.test");
    assert.match(mail.data, /reset/i);

    const admin = await adminUser(srv.url);
    let status = "";
    for (let i = 0; i < 20 && status !== "sent"; i++) {
      const outbox = await api("GET", "/api/v1/admin/outbox", { token: admin.token, base: srv.url });
      status = outbox.body.items.find((m: { to: string }) => m.to === email)?.status;
      if (status !== "sent") await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, "sent");
  });
});
