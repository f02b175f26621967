import nodemailer, { type Transporter } from "nodemailer";
import type { Config } from "../config";

export interface Mail {
  to: string;
  subject: string;
  body: string;
}

/** Sends mail over SMTP when `SMTP_URL` is set; without it nothing leaves the process. */
export class Mailer {
  private readonly transport: Transporter | undefined;

  constructor(private readonly config: Pick<Config, "SMTP_URL" | "MAIL_FROM">) {
    // Short timeouts: a stuck relay must not hold the outbox worker for minutes.
    this.transport = config.SMTP_URL
      ? nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 })
      : undefined;
  }

  get enabled(): boolean {
    return this.transport !== undefined;
  }

  async send(mail: Mail): Promise<void> {
    if (!this.transport) throw new Error("no SMTP transport is configured");
    await this.transport.sendMail({ from: this.config.MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.body });
  }

  close(): void {
    this.transport?.close();
  }
}
