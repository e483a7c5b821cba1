import nodemailer from 'nodemailer';

/** Outgoing mail, injected so services never know about SMTP. */
export interface Mailer {
  send(m: { to: string[]; subject: string; text: string; replyTo?: string }): Promise<void>;
}

/** SMTP through nodemailer, e.g. smtp://mail.example.com:587 or smtps://user:pass@host. */
export function smtpMailer(url: string, from: string): Mailer {
  // Bounded waits: a stalled SMTP server holds one outbox attempt for at most about a minute.
  const transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 });
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, ...(m.replyTo ? { replyTo: m.replyTo } : {}) });
    },
  };
}
