import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import type { Clock } from '../../domain/clock.js';
import { OPERATION, STATUS } from '../../domain/ipp.js';
import { RELAY, type Principal } from '../../domain/principal.js';
import { attr, encodeMessage, GROUP, IppDecodeError, TAG, type IppAttribute, type IppMessage } from '../../protocol/ipp/codec.js';
import { IppTooLargeError, readHead } from '../../protocol/ipp/stream.js';
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
import { documentAfter, IppError, jobOperations, type JobAnswer, type JobRequest } from './jobs.js';
import { fromOutputDevice, outputDeviceOperations, type DeviceAnswer } from './output-device.js';
import type { Device } from '../../domain/devices.js';

/** The most an IPP request's attributes may take; the document after them is not counted. */
export const MAX_IPP_HEAD = 256 * 1024;
/** What is read and dropped of a request refused before its end, so the client reads the answer rather than a reset. */
const MAX_DRAIN = 8 * 1024 * 1024;


/**
 * IPP (issue 16, RFC 8011 over HTTP, RFC 8010). Clients print at POST /ipp/print/{printerId} with
 * `application/ipp`: the header is checked as cupsd checks it — version, request-id, operation
 * group with attributes-charset and attributes-natural-language first — before credentials are
 * asked for (libcups resends after a 401); credentials are HTTP Basic, an API token as the
 * password or a person's own, and the printer is scoped as in the API (another account's is
 * client-error-not-found). Output devices (INFRA) send their operations to their own printer's
 * URI, or to /ipp/system, with their device token as the password.
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

  const devices = outputDeviceOperations(o.print);
  /**
   * 401, asking for credentials. Wrong ones count against the client's address (429 past the
   * limit); none is how libcups starts every request, and is not a failure.
   */
  const signIn = (request: FastifyRequest, reply: FastifyReply, hint: string): FastifyReply =>
    request.headers.authorization !== undefined && o.failures.hit(request.ip)
      ? reply.code(429).header('retry-after', String(o.failures.retryAfter(request.ip))).type('text/plain').send('too many failed authentications\n')
      : reply.code(401).header('www-authenticate', 'Basic realm="FleetRelay"').type('text/plain').send(hint);

  /** One IPP request: to a printer (`printerId`), or to the system service (output devices only). */
  async function serve(request: FastifyRequest, reply: FastifyReply, printerId: string | null): Promise<FastifyReply> {
    if (!request.headers['content-type']?.startsWith('application/ipp'))
      return reply.code(415).type('text/plain').send('send an IPP request (Content-Type: application/ipp)\n');
    const body = request.body as Readable;
    let head: { message: IppMessage; rest: Buffer };
    try {
      head = await readHead(body, MAX_IPP_HEAD);
    } catch (err) {
      if (!(err instanceof IppDecodeError || err instanceof IppTooLargeError)) throw err;
      await drain(body);
      return answer(reply, { version: { major: 1, minor: 1 }, code: 0, requestId: 0, groups: [] }, { status: err instanceof IppTooLargeError ? STATUS.requestEntityTooLarge : STATUS.badRequest, message: err.message, groups: [] });
    }
    const m = head.message;
    const base = `${request.protocol === 'https' ? 'ipps' : 'ipp'}://${request.headers.host ?? request.hostname}`;
    try {
      checkHeader(m);
      if (fromOutputDevice(m)) {
        const device = await authenticateDevice(request);
        await drain(body);
        if (!device) return signIn(request, reply, 'sign in: the device token as the password\n');
        if (printerId !== null && printerId !== device.id) throw new IppError(STATUS.notFound, `no printer ${printerId} for this device`);
        const operation = devices.get(m.code)!;
        return answer(reply, m, await operation({ device, printerUri: `${base}/ipp/print/${device.id}`, m, upSince: o.startedAt, now: o.clock.now() }));
      }
      if (printerId === null) throw new IppError(STATUS.operationNotSupported, "the system service takes an output device's operations; print to /ipp/print/{printerId}");
      // Get-Printer-Attributes needs no credentials, as on cupsd and ippeveprinter: CUPS asks for them
      // without any while it makes a queue's PPD. A printer ID is not guessed; guessing counts as failing.
      const anonymous = m.code === OPERATION.getPrinterAttributes && request.headers.authorization === undefined;
      const p = anonymous ? RELAY : await authenticate(request);
      if (!p) {
        await drain(body);
        return signIn(request, reply, 'sign in: an API token as the password, or your own\n');
      }
      const printer = await o.print.printer(p, printerId).catch((err: unknown) => {
        if (!(err instanceof ServiceError && err.problem === 'not-found')) throw err;
        if (anonymous && o.failures.hit(request.ip)) throw new IppError(STATUS.forbidden, 'too many unknown printers asked for');
        throw new IppError(STATUS.notFound, `no printer ${printerId}`);
      });
      const printerUri = `${base}/ipp/print/${printer.device.id}`;
      const operation = byCode.get(m.code);
      if (operation) {
        const r: JobRequest = { p, printer: printer.device, printerId: printer.device.id, printerUri, m, document: () => documentAfter(head.rest, body), upSince: o.startedAt, now: o.clock.now() };
        const a = await operation(r);
        await drain(body);
        return answer(reply, m, a);
      }
      if (m.code !== OPERATION.getPrinterAttributes) throw new IppError(STATUS.operationNotSupported, `operation 0x${m.code.toString(16).padStart(4, '0')} is not supported`);
      const web = o.publicUrl ?? `${request.protocol}://${request.headers.host ?? request.hostname}`;
      const all = printerAttributes({
        ...printer,
        printerUri,
        secure: request.protocol === 'https',
        moreInfo: `${web}/devices/${printer.device.id}`,
        icon: `${web}${ICON_PATH}`,
        organization: (await o.accounts.account(printer.device.accountId))?.name ?? printer.device.accountId,
        queuedJobs: await o.print.queuedJobs(p, printer.device.id),
        supplies: (await o.status.last(printer.device.id)).supplies,
        upSeconds: Math.round((o.clock.now() - o.startedAt) / 1000),
        upSince: o.startedAt,
        now: new Date(o.clock.now()),
      });
      return answer(reply, m, { status: STATUS.ok, message: 'successful-ok', groups: [{ tag: GROUP.printer, attributes: requested(all, attr(m, GROUP.operation, 'requested-attributes')?.values.map((v) => String(v.value)) ?? null) }] });
    } catch (err) {
      if (!(err instanceof IppError)) throw err;
      await drain(body);
      return answer(reply, m, { status: err.status, message: err.message, groups: [] });
    }
  }

  app.post<{ Params: { printerId: string } }>(
    '/ipp/print/:printerId',
    { schema: { hide: true, params: { type: 'object', properties: { printerId: { type: 'string', maxLength: 64 } }, required: ['printerId'] } } },
    (request, reply) => serve(request, reply, request.params.printerId),
  );
  app.post('/ipp/system', { schema: { hide: true } }, (request, reply) => serve(request, reply, null));

  /** An output device's credentials: its device token as the Basic password (ippproxy -p), or as a Bearer token. */
  async function authenticateDevice(request: FastifyRequest): Promise<Device | null> {
    const h = request.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S{1,200})$/i.exec(h)?.[1];
    const basic = basicCredentials(h)?.password;
    const token = bearer ?? basic;
    return token ? o.auth.deviceToken(token) : null;
  }

  async function authenticate(request: FastifyRequest): Promise<Principal | null> {
    const c = basicCredentials(request.headers.authorization ?? '');
    return c ? o.auth.basic(c.name, c.password) : null;
  }
}

function basicCredentials(h: string): { name: string; password: string } | null {
  const b = /^Basic\s+([A-Za-z0-9+/=]{1,1400})$/i.exec(h);
  if (!b) return null;
  const decoded = Buffer.from(b[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
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
  if (!op.attributes.some((a) => a.name === 'printer-uri' || a.name === 'job-uri' || a.name === 'system-uri')) throw new IppError(STATUS.badRequest, 'the printer-uri (or job-uri, system-uri) operation attribute is missing');
}

/** An IPP response: the request's version and ID, the status, its message, then the answer's groups (and a fetched document after them). */
function answer(reply: FastifyReply, m: IppMessage, a: DeviceAnswer): FastifyReply {
  const operation: IppAttribute[] = [charset('attributes-charset', 'utf-8'), language('attributes-natural-language', 'en'), text('status-message', a.message.slice(0, 255)), ...(a.operation ?? [])];
  const version = m.version.major === 1 || m.version.major === 2 ? m.version : { major: 1, minor: 1 };
  const head = encodeMessage({ version, code: a.status, requestId: m.requestId, groups: [{ tag: GROUP.operation, attributes: operation }, ...a.groups] });
  reply.code(200).type('application/ipp');
  if (!a.document) return reply.send(head);
  const out = new PassThrough();
  out.write(head);
  a.document.on('error', (err) => out.destroy(err)); // cut short: the device sees a document that ends early, not a whole one
  return reply.send(a.document.pipe(out));
}
