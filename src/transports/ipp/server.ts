import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Clock } from '../../domain/clock.js';
import { OPERATION, STATUS } from '../../domain/ipp.js';
import type { Principal } from '../../domain/principal.js';
import { decodeMessage, encodeMessage, GROUP, IppDecodeError, TAG, type IppAttribute, type IppGroup, type IppMessage } from '../../protocol/ipp/codec.js';
import type { AuthService } from '../../services/identity/auth.js';
import { ServiceError } from '../../services/kernel/errors.js';
import type { RateLimiter } from '../../services/kernel/rate-limit.js';
import type { AccountService } from '../../services/identity/accounts.js';
import type { StatusService } from '../../services/management/status.js';
import type { PrintService } from '../../services/print/print.js';
import type { PushService } from '../../services/push/push.js';
import { charset, language, printerAttributes, requested, text } from './attributes.js';
import { ICON_PATH, PRINTER_ICON } from './icon.js';
import { identifyPrinter } from './identify.js';
import { attr, documentAfter, IppError, jobOperations, type JobAnswer, type JobRequest } from './jobs.js';

/** The most an IPP request's attributes may take; the document after them is not counted. */
export const MAX_IPP_HEAD = 256 * 1024;
/** What is read and dropped of a request refused before its end, so the client reads the answer rather than a reset. */
const MAX_DRAIN = 8 * 1024 * 1024;


/**
 * IPP for clients (issue 16, RFC 8011 over HTTP, RFC 8010): POST /ipp/print/{printerId} with
 * `application/ipp`. The header is checked as cupsd checks it — version, request-id, operation
 * group with attributes-charset and attributes-natural-language first — before credentials are
 * asked for (libcups resends after a 401). Credentials are HTTP Basic: an API token as the
 * password, or a person's own; the printer is scoped as in the API (another account's is
 * client-error-not-found). Get-Printer-Attributes, Validate-Job, Print-Job, Create-Job,
 * Send-Document, Close-Job, Get-Job-Attributes, Get-Jobs, Cancel-Job, Cancel-My-Jobs, Identify-Printer.
 */
export async function ippRoutes(
  app: FastifyInstance,
  o: { auth: AuthService; accounts: AccountService; print: PrintService; push: PushService; status: StatusService; failures: RateLimiter; clock: Clock; startedAt: number; publicUrl?: string },
): Promise<void> {
  app.addContentTypeParser('application/ipp', (_request, payload, done) => done(null, payload));
  const jobs = jobOperations(o.print);
  const byCode = new Map<number, (r: JobRequest) => Promise<JobAnswer>>([
    [OPERATION.printJob, jobs.printJob],
    [OPERATION.validateJob, jobs.validateJob],
    [OPERATION.createJob, jobs.createJob],
    [OPERATION.sendDocument, jobs.sendDocument],
    [OPERATION.closeJob, jobs.closeJob],
    [OPERATION.getJobAttributes, jobs.getJobAttributes],
    [OPERATION.getJobs, jobs.getJobs],
    [OPERATION.cancelJob, jobs.cancelJob],
    [OPERATION.cancelMyJobs, jobs.cancelMyJobs],
    [OPERATION.identifyPrinter, (r) => identifyPrinter(o.push, r)],
  ]);

  app.get(ICON_PATH, { schema: { hide: true } }, async (_request, reply) => reply.type('image/png').header('cache-control', 'public, max-age=86400').send(PRINTER_ICON));

  app.post<{ Params: { printerId: string } }>(
    '/ipp/print/:printerId',
    { schema: { hide: true, params: { type: 'object', properties: { printerId: { type: 'string', maxLength: 64 } }, required: ['printerId'] } } },
    async (request, reply) => {
      if (!request.headers['content-type']?.startsWith('application/ipp'))
        return reply.code(415).type('text/plain').send('send an IPP request (Content-Type: application/ipp)\n');
      const body = request.body as Readable;
      let head: { message: IppMessage; rest: Buffer };
      try {
        head = await readHead(body);
      } catch (err) {
        if (!(err instanceof IppDecodeError || err instanceof IppError)) throw err;
        await drain(body);
        return answer(reply, { version: { major: 1, minor: 1 }, code: 0, requestId: 0, groups: [] }, err instanceof IppError ? err.status : STATUS.badRequest, err.message);
      }
      const m = head.message;
      try {
        checkHeader(m);
        const p = await authenticate(request);
        if (!p) {
          await drain(body);
          if (o.failures.hit(request.ip)) return reply.code(429).header('retry-after', String(o.failures.retryAfter(request.ip))).type('text/plain').send('too many failed authentications\n');
          return reply.code(401).header('www-authenticate', 'Basic realm="FleetRelay"').type('text/plain').send('sign in: an API token as the password, or your own\n');
        }
        const printer = await o.print.printer(p, request.params.printerId).catch((err: unknown) => {
          if (err instanceof ServiceError && err.problem === 'not-found') throw new IppError(STATUS.notFound, `no printer ${request.params.printerId}`);
          throw err;
        });
        const printerUri = `${request.protocol === 'https' ? 'ipps' : 'ipp'}://${request.headers.host ?? request.hostname}/ipp/print/${printer.device.id}`;
        const operation = byCode.get(m.code);
        if (operation) {
          const r: JobRequest = { p, printer: printer.device, printerId: printer.device.id, printerUri, m, document: () => documentAfter(head.rest, body), upSince: o.startedAt, now: o.clock.now() };
          const a = await operation(r);
          await drain(body);
          return answer(reply, m, a.status, a.message, a.groups);
        }
        if (m.code !== OPERATION.getPrinterAttributes) throw new IppError(STATUS.operationNotSupported, `operation 0x${m.code.toString(16).padStart(4, '0')} is not supported`);
        const base = o.publicUrl ?? `${request.protocol}://${request.headers.host ?? request.hostname}`;
        const all = printerAttributes({
          ...printer,
          printerUri,
          secure: request.protocol === 'https',
          moreInfo: `${base}/devices/${printer.device.id}`,
          icon: `${base}${ICON_PATH}`,
          organization: (await o.accounts.listAccounts(p)).find((a) => a.id === printer.device.accountId)?.name ?? printer.device.accountId,
          queuedJobs: await o.print.queuedJobs(p, printer.device.id),
          supplies: (await o.status.last(printer.device.id)).supplies,
          upSeconds: Math.round((o.clock.now() - o.startedAt) / 1000),
          upSince: o.startedAt,
          now: new Date(o.clock.now()),
        });
        return answer(reply, m, STATUS.ok, 'successful-ok', [{ tag: GROUP.printer, attributes: requested(all, attr(m, GROUP.operation, 'requested-attributes')?.values.map((v) => String(v.value)) ?? null) }]);
      } catch (err) {
        if (!(err instanceof IppError)) throw err;
        await drain(body);
        return answer(reply, m, err.status, err.message);
      }
    },
  );

  async function authenticate(request: FastifyRequest): Promise<Principal | null> {
    const h = /^Basic\s+([A-Za-z0-9+/=]{1,1400})$/i.exec(request.headers.authorization ?? '');
    if (!h) return null;
    const decoded = Buffer.from(h[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : o.auth.basic(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
}

/**
 * The request's attributes, and the bytes read past them (the document's first ones). The body is
 * left paused where it was, not destroyed: the document, or what a refusal drains, follows.
 */
function readHead(body: Readable): Promise<{ message: IppMessage; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (settle: () => void): void => {
      body.off('data', onData).off('end', onEnd).off('error', reject);
      body.pause();
      settle();
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const d = decodeMessage(buf);
        if (d) done(() => resolve({ message: d.message, rest: buf.subarray(d.bytes) }));
        else if (buf.length > MAX_IPP_HEAD) done(() => reject(new IppError(STATUS.requestEntityTooLarge, `the attributes take more than ${MAX_IPP_HEAD} bytes`)));
      } catch (err) {
        done(() => reject(err));
      }
    };
    const onEnd = (): void => done(() => reject(new IppDecodeError('the request ends before its end-of-attributes tag', buf.length)));
    body.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

/** Reads what is left of a refused request (no longer piped to a document), up to MAX_DRAIN; past that the connection is closed. */
async function drain(body: Readable): Promise<void> {
  body.unpipe();
  let n = 0;
  for await (const chunk of body) if ((n += (chunk as Buffer).length) > MAX_DRAIN) return void body.destroy();
}

/** What cupsd checks first (RFC 8011 §4.1.8, §4.1.4): a version it speaks, a request ID, and the operation group led by charset and language. */
function checkHeader(m: IppMessage): void {
  if (m.version.major !== 1 && m.version.major !== 2) throw new IppError(STATUS.versionNotSupported, `IPP/${m.version.major}.${m.version.minor} is not supported`);
  if (m.requestId <= 0) throw new IppError(STATUS.badRequest, 'the request-id must be 1 or more');
  const op = m.groups[0];
  if (op?.tag !== GROUP.operation) throw new IppError(STATUS.badRequest, 'the operation attributes come first');
  const [cs, lang] = op.attributes;
  if (cs?.name !== 'attributes-charset' || cs.values[0]?.tag !== TAG.charset) throw new IppError(STATUS.badRequest, 'attributes-charset is the first operation attribute');
  if (lang?.name !== 'attributes-natural-language' || lang.values[0]?.tag !== TAG.naturalLanguage) throw new IppError(STATUS.badRequest, 'attributes-natural-language is the second operation attribute');
  if (!['utf-8', 'us-ascii'].includes(String(cs.values[0]!.value).toLowerCase())) throw new IppError(STATUS.charsetNotSupported, `charset ${String(cs.values[0]!.value).slice(0, 40)} is not supported (utf-8 is)`);
  if (!op.attributes.some((a) => a.name === 'printer-uri' || a.name === 'job-uri')) throw new IppError(STATUS.badRequest, 'the printer-uri (or job-uri) operation attribute is missing');
}

/** An IPP response: the request's version and ID, the status, its message, then `groups`. */
function answer(reply: FastifyReply, m: IppMessage, status: number, message: string, groups: IppGroup[] = []): FastifyReply {
  const operation: IppAttribute[] = [charset('attributes-charset', 'utf-8'), language('attributes-natural-language', 'en'), text('status-message', message.slice(0, 255))];
  const version = m.version.major === 1 || m.version.major === 2 ? m.version : { major: 1, minor: 1 };
  return reply
    .code(200)
    .type('application/ipp')
    .send(encodeMessage({ version, code: status, requestId: m.requestId, groups: [{ tag: GROUP.operation, attributes: operation }, ...groups] }));
}
