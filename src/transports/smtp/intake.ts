import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from 'pino';
import { MailRefusal, type MailPrintService, type MailRefusalReason } from '../../services/print/mail-print.js';
import { ServiceError } from '../../services/kernel/errors.js';

export const MAX_MAIL_BYTES = 25 * 1024 * 1024;
/** Mails parsed at once: parsing holds a whole mail (and its decoded parts) in memory. */
const PARSING_AT_ONCE = 2;

/** SMTP reply code and enhanced status code (RFC 3463) for each reason a mail is refused. */
const REPLIES: Record<MailRefusalReason, [number, string]> = {
  'no-such-request': [550, '5.1.1'],
  'no-such-printer': [550, '5.1.1'],
  'not-accepting-jobs': [554, '5.7.1'],
  'sender-not-allowed': [550, '5.7.1'],
  'nothing-printable': [550, '5.6.0'],
};

type Reply = Error & { responseCode: number };
const reply = (responseCode: number, message: string): Reply => Object.assign(new Error(message), { responseCode });
const isReply = (err: unknown): err is Reply => err instanceof Error && 'responseCode' in err;

const refusal = (err: unknown): Reply => {
  if (isReply(err)) return err;
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
 *
 * DATA is spooled to a file in `spoolDir`, never held in memory, and what passes the size limit
 * is read and thrown away: a client sending more gets 552 at the end and cost the relay nothing.
 */
export function smtpIntake(mail: MailPrintService, log: Logger, o: { spoolDir: string }): SMTPServer {
  mkdirSync(o.spoolDir, { recursive: true, mode: 0o700 });
  // What a relay killed mid-DATA left behind (recent files may belong to another relay process on this data directory).
  for (const name of readdirSync(o.spoolDir)) {
    const file = join(o.spoolDir, name);
    if (Date.now() - statSync(file).mtimeMs > 3600_000) rmSync(file, { force: true });
  }
  const parsing = slots(PARSING_AT_ONCE);
  let spooled = 0;

  const deliver = async (parsed: Email, session: SMTPServerSession): Promise<void> => {
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
      const parts = parsed.attachments.map((a) => ({ name: a.filename ?? 'attachment', content: typeof a.content === 'string' ? new TextEncoder().encode(a.content) : new Uint8Array(a.content) }));
      await mail.receive(to.device, sender, parsed.subject ?? '(no subject)', parts, parsed.text ?? null);
    }
  };

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
      const file = join(o.spoolDir, `mail-${process.pid}-${++spooled}`);
      spool(stream, file)
        .then(async (fits) => {
          if (!fits) throw reply(552, `5.3.4 the mail is larger than ${MAX_MAIL_BYTES / 1048576} MiB`);
          const parsed = await parsing(async () => PostalMime.parse(await readFile(file)));
          await deliver(parsed, session);
        })
        .finally(() => rm(file, { force: true }))
        .then(
          () => callback(),
          (err: unknown) => {
            if (!(isReply(err) || err instanceof MailRefusal || err instanceof ServiceError)) log.error({ err }, 'print mail failed');
            callback(refusal(err));
          },
        );
    },
  });
}

/**
 * Writes the DATA stream to `file` (mode 0600) up to MAX_MAIL_BYTES; past that it reads the rest
 * and drops it. True when the whole mail fitted.
 */
async function spool(stream: SMTPServerDataStream, file: string): Promise<boolean> {
  const out = createWriteStream(file, { mode: 0o600 });
  const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
  let failed: unknown = null;
  out.on('error', (err) => (failed ??= err));
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_MAIL_BYTES || failed) continue;
      if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), closed]);
    }
  } finally {
    out.end();
    await closed;
  }
  if (failed) throw failed;
  return size <= MAX_MAIL_BYTES && !stream.sizeExceeded;
}

/** Runs at most `n` of the given tasks at a time; the others wait their turn. */
function slots(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (free === 0) await new Promise<void>((r) => waiting.push(r));
    else free--;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
