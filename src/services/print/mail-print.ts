import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Principal } from '../../domain/principal.js';
import { checkTicket, sniffDocument } from '../../domain/print.js';
import type { Device } from '../../domain/devices.js';
import { BlobNotFoundError } from '../../store/blobs.js';
import type { PrintJob, PrintPage } from '../../domain/print.js';
import type { ServiceContext } from '../kernel/context.js';
import type { DeviceService } from '../identity/devices.js';
import { invalid, notFound, ServiceError } from '../kernel/errors.js';
import type { Mailer } from '../kernel/mail.js';
import type { PrintService } from './print.js';
import { newId, sha256 } from '../kernel/secrets.js';

export interface MailPrintOptions {
  /** Printers' addresses are <deviceId>@<mailDomain>. */
  mailDomain: string;
  /** Base of the control-page links mailed to senders. */
  publicUrl: string;
  pageTtlMs: number;
  /** Control-page links are an HMAC of the page ID under this key, so they can be given again without being stored. */
  linkKey: Buffer;
  mailer: Mailer | null;
  log: (msg: string, fields: Record<string, unknown>) => void;
}

/** Local part of a print request's cancel address: cancel-<code>@<mail domain>. */
const CANCEL_PREFIX = 'cancel-';

/** Why a mail for printing is refused; the mail transport chooses its reply code from the reason. */
export type MailRefusalReason = 'no-such-request' | 'no-such-printer' | 'not-accepting-jobs' | 'sender-not-allowed' | 'nothing-printable';

export class MailRefusal extends Error {
  constructor(
    readonly reason: MailRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

const MAX_OBJECTS = 10;

/**
 * Print by e-mail (seed 002 S101–S205): each printer has an address; a mail's attachments, or
 * its body, become print objects behind an unguessable, expiring control page whose link goes
 * back to the sender; the job is made when the person presses Print there.
 */
export class MailPrintService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly print: PrintService,
    private readonly devices: DeviceService,
    private readonly o: MailPrintOptions,
  ) {}

  address(deviceId: string): string {
    return `${deviceId}@${this.o.mailDomain}`;
  }

  /**
   * At RCPT TO: a printer's address (it must exist, accept jobs, and allow the sender), or a
   * print request's cancel address (`cancel-<code>@`, the Reply-To of the control-page mail).
   */
  async checkRecipient(address: string, sender: string | null): Promise<{ kind: 'printer'; device: Device } | { kind: 'cancel'; page: PrintPage }> {
    const at = address.lastIndexOf('@');
    const local = address.slice(0, at).toLowerCase();
    const domain = address.slice(at + 1).toLowerCase();
    const ours = at > 0 && domain === this.o.mailDomain.toLowerCase() && local.length <= 64;
    if (ours && local.startsWith(CANCEL_PREFIX)) {
      const page = await this.ctx.store.print.pageByCancelHash(sha256(local.slice(CANCEL_PREFIX.length)));
      if (!page || page.expiresAt <= this.ctx.clock.now()) throw new MailRefusal('no-such-request', `<${address.slice(0, 100)}>: no such print request here (it may have expired)`);
      return { kind: 'cancel', page };
    }
    const device = ours ? await this.ctx.store.devices.get(local) : null;
    if (!device) throw new MailRefusal('no-such-printer', `<${address.slice(0, 100)}>: no such printer here`);
    const state = await this.ctx.store.print.printer(device.id);
    if (!state?.accepting) throw new MailRefusal('not-accepting-jobs', `the printer ${device.model} ${device.serial} is not accepting jobs now; nothing will be printed`);
    if (state.allowedSenders?.length && !(sender && state.allowedSenders.includes(sender.toLowerCase())))
      throw new MailRefusal('sender-not-allowed', `${sender ?? 'this sender'} may not print on this printer`);
    return { kind: 'printer', device };
  }

  /** The mail's printable parts become a control page; its link is mailed to the sender. */
  async receive(device: Device, sender: string, subject: string, parts: { name: string; content: Uint8Array }[], bodyText: string | null): Promise<{ page: PrintPage; url: string }> {
    const objects = parts
      .map((p) => ({ name: p.name, content: Buffer.from(p.content) }))
      .filter((p) => sniffDocument(p.content.subarray(0, 64)) !== null)
      .slice(0, MAX_OBJECTS);
    if (objects.length === 0 && bodyText?.trim()) objects.push({ name: 'message.txt', content: Buffer.from(bodyText) });
    if (objects.length === 0) throw new MailRefusal('nothing-printable', 'the mail has nothing printable: attach a PDF, JPEG, PNG or text, or write in the body');
    const now = this.ctx.clock.now();
    const page: PrintPage = {
      id: newId(this.ctx.random, 'pg-', 10),
      deviceId: device.id,
      accountId: device.accountId,
      sender,
      // A mail header may carry NUL (an encoded word); it is not text, and PostgreSQL cannot store it.
      subject: subject.replace(/\0/g, '').slice(0, 200),
      files: objects.map((o) => ({ name: o.name.replace(/\0/g, '').slice(0, 200), type: sniffDocument(o.content.subarray(0, 64))!, size: o.content.length })),
      jobId: null,
      createdAt: now,
      expiresAt: now + this.o.pageTtlMs,
    };
    for (const [i, o] of objects.entries()) {
      const staged = this.ctx.store.blobs.stagingFile('pages', fileKey(page.id, i));
      writeFileSync(staged, o.content, { mode: 0o600 });
      await this.ctx.store.blobs.putFile('pages', fileKey(page.id, i), staged);
    }
    const token = this.token(page.id);
    const cancelCode = newId(this.ctx.random, '', 16);
    await this.ctx.store.print.insertPage(page, sha256(token), sha256(cancelCode));
    const url = this.link(page.id);
    const cancelAddress = `${CANCEL_PREFIX}${cancelCode}@${this.o.mailDomain}`;
    this.o.log('print control page made', { pageId: page.id, printer: device.id, files: page.files.length });
    const text =
      `Your mail "${page.subject}" reached ${device.model} ${device.serial}.\n\nChoose the settings and press Print here:\n${url}\n\n` +
      `The link works until ${new Date(page.expiresAt).toISOString()}.\nTo cancel, reply to this mail (it goes to ${cancelAddress}).`;
    if (this.o.mailer)
      await this.o.mailer
        .send({ to: [sender], subject: `Print: ${page.subject}`.replace(/[\r\n]+/g, ' '), text, replyTo: cancelAddress })
        .catch((err: unknown) => this.o.log('could not mail the print link', { err: String(err) }));
    // The link is a capability: never logged. Without outbound mail the printer's account gets it from the API.
    else this.o.log('no outbound mail: the print link is listed by GET /api/v1/printers/{id}/mail-requests', { pageId: page.id, printer: device.id });
    return { page, url };
  }

  async page(token: string): Promise<PrintPage> {
    const p = token.length <= 100 ? await this.ctx.store.print.pageByTokenHash(sha256(token)) : null;
    if (!p) throw notFound('print page');
    if (p.expiresAt <= this.ctx.clock.now()) throw new ServiceError('gone', 'this print page has expired');
    return p;
  }

  async file(page: PrintPage, n: number): Promise<Readable> {
    if (!Number.isInteger(n) || n < 0 || n >= page.files.length) throw notFound('file');
    return this.ctx.store.blobs.read('pages', fileKey(page.id, n)).catch((err: unknown) => {
      throw err instanceof BlobNotFoundError ? notFound('file') : err;
    });
  }

  /** Print pressed (S205): the job is made now, from the chosen file and settings. */
  async printFrom(token: string, n: number, ticket: Record<string, unknown>): Promise<PrintJob> {
    const page = await this.page(token);
    if (page.jobId) throw new ServiceError('conflict', 'this page has already printed');
    const checked = checkTicket(ticket);
    if (typeof checked === 'string') throw invalid(checked);
    const stream = await this.file(page, n);
    const job = await this.print.submit(this.principal(page), page.deviceId, { name: page.files[n]?.name ?? 'document', stream }, ticket, 'mail').catch((err: unknown) => {
      stream.destroy();
      throw err;
    });
    await this.ctx.store.print.setPageJob(page.id, job.id);
    return job;
  }

  /** Cancel on the page: the job by seed 002's table, or the print objects if nothing was printed. */
  async cancelFrom(token: string): Promise<PrintJob | null> {
    return this.cancelPage(await this.page(token));
  }

  /** Cancel by e-mail (seed 002's alternative embodiment): as on the page; the sender is told how it went. */
  async cancelByMail(page: PrintPage): Promise<PrintJob | null> {
    const job = await this.cancelPage(page).catch((err: unknown) => {
      if (err instanceof ServiceError && err.problem === 'conflict') return this.job(page); // finished already
      throw err;
    });
    const outcome = !job
      ? 'Canceled: nothing was printed, and the print objects are deleted.'
      : job.state === 'canceled'
        ? `Canceled: job ${job.id} was stopped and its data deleted.`
        : job.state === 'cancel-failed'
          ? `The printer could not cancel job ${job.id}; it may still print it.`
          : `Job ${job.id} is ${job.state}; it can no longer be canceled.`;
    this.o.log('print request canceled by mail', { pageId: page.id, job: job?.id ?? null, state: job?.state ?? 'discarded' });
    if (this.o.mailer)
      await this.o.mailer
        .send({ to: [page.sender], subject: `Cancel: ${page.subject}`.replace(/[\r\n]+/g, ' '), text: outcome })
        .catch((err: unknown) => this.o.log('could not mail the cancel result', { err: String(err) }));
    return job;
  }

  private async cancelPage(page: PrintPage): Promise<PrintJob | null> {
    if (page.jobId === 'discarded') return null;
    if (page.jobId) return this.print.cancel(this.principal(page), page.jobId);
    for (let n = 0; n < page.files.length; n++) await this.ctx.store.blobs.remove('pages', fileKey(page.id, n));
    await this.ctx.store.print.setPageJob(page.id, 'discarded');
    return null;
  }

  async job(page: PrintPage): Promise<PrintJob | null> {
    return page.jobId && page.jobId !== 'discarded' ? (await this.print.job(this.principal(page), page.jobId)).job : null;
  }

  /**
   * A printer's latest print requests by e-mail. Without outbound mail the sender never got the
   * control-page link, so it is given here for the operator to pass on (the fallback).
   */
  async requests(p: Principal, deviceId: string): Promise<{ page: PrintPage; state: 'waiting' | 'submitted' | 'canceled' | 'expired'; controlUrl: string | null }[]> {
    const d = await this.devices.get(p, deviceId);
    const now = this.ctx.clock.now();
    return (await this.ctx.store.print.pages(d.id, 50)).map((page) => {
      const state = page.jobId === 'discarded' ? 'canceled' : page.jobId ? 'submitted' : page.expiresAt <= now ? 'expired' : 'waiting';
      return { page, state, controlUrl: !this.o.mailer && page.expiresAt > now ? this.link(page.id) : null };
    });
  }

  private token(pageId: string): string {
    return createHmac('sha256', this.o.linkKey).update(pageId).digest('base64url');
  }

  private link(pageId: string): string {
    return `${this.o.publicUrl}/print/${this.token(pageId)}`;
  }

  /** The page acts for the printer's account, as far as that printer goes. */
  private principal(page: PrintPage): Principal {
    return { kind: 'token', tokenId: `page:${page.id}`, accountId: page.accountId, admin: false };
  }
}

/** A page's attachments are blobs `<page ID>/<n>`. */
const fileKey = (pageId: string, n: number): string => `${pageId}/${n}`;
