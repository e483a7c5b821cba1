import PostalMime from 'postal-mime';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from 'pino';
import { MailRefusal, type MailPrintService, type MailRefusalReason } from '../../services/print/mail-print.js';
import { ServiceError } from '../../services/kernel/errors.js';

export const MAX_MAIL_BYTES = 25 * 1024 * 1024;

/** SMTP reply code and enhanced status code (RFC 3463) for each reason a mail is refused. */
const REPLIES: Record<MailRefusalReason, [number, string]> = {
  'no-such-request': [550, '5.1.1'],
  'no-such-printer': [550, '5.1.1'],
  'not-accepting-jobs': [554, '5.7.1'],
  'sender-not-allowed': [550, '5.7.1'],
  'nothing-printable': [550, '5.6.0'],
};

const reply = (responseCode: number, message: string): Error & { responseCode: number } => Object.assign(new Error(message), { responseCode });

const refusal = (err: unknown): Error => {
  if (err instanceof MailRefusal) {
    const [code, status] = REPLIES[err.reason];
    return reply(code, `${status} ${err.message}`);
  }
  return err instanceof ServiceError ? reply(550, err.message) : reply(451, 'temporary failure, try again later');
};

/**
 * The print-by-mail listener (seed 002 SMTP server 22): printers' addresses take mail; unknown
 * addresses and printers not accepting jobs are refused at RCPT with a clear 5xx text. Mail to a
 * print request's cancel address (the Reply-To of its control-page mail) cancels it.
 */
export function smtpIntake(mail: MailPrintService, log: Logger): SMTPServer {
  return new SMTPServer({
    name: 'fleetrelay',
    banner: 'FleetRelay print intake',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MAIL_BYTES,
    maxClients: 200,
    logger: false,
    onRcptTo(address, session, callback) {
      mail.checkRecipient(address.address, session.envelope.mailFrom ? session.envelope.mailFrom.address : null).then(
        () => callback(),
        (err: unknown) => callback(refusal(err)),
      );
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(reply(552, `5.3.4 the mail is larger than ${MAX_MAIL_BYTES / 1048576} MiB`));
        void (async () => {
          const parsed = await PostalMime.parse(Buffer.concat(chunks));
          const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '';
          for (const rcpt of session.envelope.rcptTo) {
            const to = await mail.checkRecipient(rcpt.address, sender);
            if (to.kind === 'cancel') {
              // Bounces and out-of-office replies also go to the Reply-To: they must not cancel.
              const auto = parsed.headers.find((h) => h.key === 'auto-submitted')?.value.trim().toLowerCase();
              if (!sender || (auto && auto !== 'no')) log.info({ pageId: to.page.id }, 'automatic reply to a cancel address ignored');
              else await mail.cancelByMail(to.page);
              continue;
            }
            const device = to.device;
            const parts = parsed.attachments.map((a) => ({ name: a.filename ?? 'attachment', content: typeof a.content === 'string' ? new TextEncoder().encode(a.content) : new Uint8Array(a.content) }));
            await mail.receive(device, sender, parsed.subject ?? '(no subject)', parts, parsed.text ?? null);
          }
        })().then(
          () => callback(),
          (err: unknown) => {
            if (!(err instanceof MailRefusal || err instanceof ServiceError)) log.error({ err }, 'print mail failed');
            callback(refusal(err));
          },
        );
      });
    },
  });
}
