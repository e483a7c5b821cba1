import { PassThrough, type Readable } from 'node:stream';
import type { Device } from '../../domain/devices.js';
import { ippJobState, STATUS } from '../../domain/ipp.js';
import { checkTicket, isFinished, OPEN_JOB_SECONDS, UNFINISHED, type JobState, type OpenJob, type PrintJob } from '../../domain/print.js';
import { actorName, canSeeAccount as canSee, type Principal } from '../../domain/principal.js';
import { attr, GROUP, TAG, type IppAttribute, type IppGroup, type IppMessage, type IppValue } from '../../protocol/ipp/codec.js';
import { ServiceError } from '../../services/kernel/errors.js';
import type { PrintService } from '../../services/print/print.js';
import { DOCUMENT_FORMATS, enumeration, integer, keyword, nameAttr, text, TICKET_ATTRIBUTES, uri } from './attributes.js';

/** Why a request gets an IPP error status, not an answer. */
export class IppError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a job operation works with: who asks, for which printer, the request, and its document. */
export interface JobRequest {
  p: Principal;
  printer: Device;
  printerId: string;
  printerUri: string;
  m: IppMessage;
  /** The request body after its attributes. */
  document: () => Readable;
  upSince: number;
  now: number;
}

export interface JobAnswer {
  status: number;
  message: string;
  groups: IppGroup[];
  /** Operation attributes after attributes-charset, attributes-natural-language and status-message. */
  operation?: IppAttribute[];
}

const first = (m: IppMessage, name: string, group: number = GROUP.operation): IppValue | undefined => attr(m, group, name)?.values[0];

const QUALITY: Record<number, string> = { 3: 'draft', 4: 'normal', 5: 'high' };
const QUALITY_ENUM: Record<string, number> = Object.fromEntries(Object.entries(QUALITY).map(([n, k]) => [k, Number(n)]));
const TICKET = new Set(TICKET_ATTRIBUTES);
/** Ticket attributes with more than one value. */
const MANY_VALUED = new Set(['page-ranges']);

/**
 * The ticket from a request's job attributes; those the relay does not carry are named, and
 * ignored (RFC 8011 §4.1.7: successful-ok-ignored-or-substituted-attributes).
 */
export function ticketOf(m: IppMessage): { ticket: Record<string, unknown>; ignored: string[] } {
  const ticket: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const a of m.groups.find((g) => g.tag === GROUP.job)?.attributes ?? []) {
    const v = a.values[0]!;
    if (!TICKET.has(a.name) || (a.values.length !== 1 && !MANY_VALUED.has(a.name))) ignored.push(a.name);
    else if (a.name === 'page-ranges') ticket[a.name] = a.values.map(rangeOf);
    else if (a.name === 'print-quality') ticket[a.name] = QUALITY[v.value as number] ?? String(v.value);
    else ticket[a.name] = v.value;
  }
  return { ticket, ignored };
}

/** A rangeOfInteger as [lower, upper]; anything else as null (the ticket check refuses it). */
function rangeOf(v: IppValue): [number, number] | null {
  if (v.tag !== TAG.rangeOfInteger) return null;
  const { lower, upper } = v.value as { lower: number; upper: number };
  return [lower, upper];
}

/** IPP job-state-reasons of a relay job. */
function reasons(s: JobState): string[] {
  switch (s) {
    case 'completed':
      return ['job-completed-successfully'];
    case 'canceled':
      return ['job-canceled-by-user'];
    case 'aborted':
      return ['aborted-by-system'];
    case 'pending':
    case 'notified':
      return ['none'];
    case 'cancel-requested':
    case 'cancel-failed':
      return ['processing-to-stop-point'];
    default:
      return ['job-printing'];
  }
}

/** The name an IPP client gave (recorded as "name (actor)"), or who made the job another way. */
const originator = (j: { createdBy: string }): string => /^(.+) \((?:user|token|cli|relay)[^)]*\)$/.exec(j.createdBy)?.[1] ?? j.createdBy;

/** What a job's IPP description is drawn from: a relay job under its number, or one still waiting for its document. */
interface JobView {
  number: number;
  name: string;
  createdBy: string;
  createdAt: number;
  ticket: PrintJob['ticket'];
  state: number;
  reasons: string[];
  message: string;
  completedAt: number | null;
}

export const madeJob = (j: PrintJob, number: number): JobView => ({
  ...j,
  number,
  state: ippJobState(j.state),
  reasons: reasons(j.state),
  message: j.state,
  completedAt: isFinished(j.state) ? j.updatedAt : null,
});

/** A job still being made (Create-Job, before its document): pending, its document incoming. */
export const openJob = (o: OpenJob): JobView => ({ ...o, state: 3, reasons: ['job-incoming'], message: 'waiting for its document', completedAt: null });

export function jobAttributes(v: JobView, r: Pick<JobRequest, 'printerUri' | 'upSince' | 'now'>): IppAttribute[] {
  const since = (t: number) => Math.max(1, Math.round((t - r.upSince) / 1000));
  return [
    integer('job-id', v.number),
    uri('job-uri', `${r.printerUri}/${v.number}`),
    uri('job-printer-uri', r.printerUri),
    enumeration('job-state', v.state),
    keyword('job-state-reasons', ...v.reasons),
    nameAttr('job-name', v.name),
    nameAttr('job-originating-user-name', originator(v)),
    integer('time-at-creation', since(v.createdAt)),
    v.completedAt === null ? { name: 'time-at-completed', values: [{ tag: TAG.noValue, value: null }] } : integer('time-at-completed', since(v.completedAt)),
    { name: 'date-time-at-creation', values: [{ tag: TAG.dateTime, value: new Date(v.createdAt) }] },
    // The relay keeps when a job was made and when it ended, not when the printer started on it.
    { name: 'time-at-processing', values: [{ tag: TAG.noValue, value: null }] },
    v.completedAt === null ? { name: 'date-time-at-completed', values: [{ tag: TAG.noValue, value: null }] } : { name: 'date-time-at-completed', values: [{ tag: TAG.dateTime, value: new Date(v.completedAt) }] },
    integer('job-printer-up-time', since(r.now)),
    integer('copies', v.ticket.copies),
    keyword('sides', v.ticket.sides),
    keyword('media', v.ticket.media),
    keyword('print-color-mode', v.ticket['print-color-mode']),
    enumeration('print-quality', QUALITY_ENUM[v.ticket['print-quality']] ?? 4),
    ...(v.ticket['page-ranges'] ? [{ name: 'page-ranges', values: v.ticket['page-ranges'].map(([lower, upper]) => ({ tag: TAG.rangeOfInteger, value: { lower, upper } })) }] : []),
    text('job-state-message', v.message),
  ];
}

/**
 * What a job operation's requested-attributes asks for (RFC 8011 §4.3.4.1): names, or the groups
 * `all`, `job-description`, `job-template`; none asked is `byDefault` (Get-Jobs: job-id and job-uri).
 */
export function requestedJob(all: IppAttribute[], asked: string[] | null, byDefault: string[] | 'all'): IppAttribute[] {
  const names = asked ?? (byDefault === 'all' ? ['all'] : byDefault);
  if (names.includes('all')) return all;
  const wanted = new Set(names);
  return all.filter(
    (a) => wanted.has(a.name) || a.name === 'job-id' || a.name === 'job-uri' || (wanted.has('job-template') && TICKET.has(a.name)) || (wanted.has('job-description') && !TICKET.has(a.name)),
  );
}

/** IPP status of a service's refusal. */
function statusOf(err: ServiceError): number {
  switch (err.problem) {
    case 'not-found':
      return STATUS.notFound;
    case 'not-accepting-jobs':
      return STATUS.notAcceptingJobs;
    case 'unsupported-media-type':
      return STATUS.documentFormatNotSupported;
    case 'payload-too-large':
      return STATUS.requestEntityTooLarge;
    case 'conflict':
    case 'gone':
      return STATUS.notPossible;
    case 'forbidden':
      return STATUS.forbidden;
    default:
      return err.problem === 'validation-failed' || err.problem === 'malformed-request' ? STATUS.attributesOrValuesNotSupported : STATUS.internalError;
  }
}

export async function refusalsAsIpp<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ServiceError) throw new IppError(statusOf(err), err.message);
    throw err;
  }
}

function checkFormat(m: IppMessage): void {
  const format = first(m, 'document-format')?.value;
  if (format !== undefined && !DOCUMENT_FORMATS.includes(String(format))) throw new IppError(STATUS.documentFormatNotSupported, `document-format ${String(format).slice(0, 60)} is not supported`);
}

const jobNumber = (m: IppMessage): number => {
  const n = first(m, 'job-id')?.value;
  if (typeof n !== 'number') throw new IppError(STATUS.badRequest, 'give the job-id');
  return n;
};

const answerWith = (ignored: string[], groups: IppGroup[]): JobAnswer =>
  ignored.length
    ? { status: STATUS.okIgnoredOrSubstituted, message: `ignored: ${ignored.join(', ')}`, groups: [{ tag: GROUP.unsupported, attributes: ignored.map((name) => ({ name, values: [{ tag: TAG.unsupported, value: null }] })) }, ...groups] }
    : { status: STATUS.ok, message: 'successful-ok', groups };

/** The job operations for clients: Print-Job, Validate-Job, Create-Job, Send-Document, Close-Job, Get-Job-Attributes, Get-Jobs, Cancel-Job (RFC 8011 §4.2, §4.3; PWG 5100.7). */
export function jobOperations(print: PrintService) {
  const user = (r: JobRequest): string | undefined => {
    const v = first(r.m, 'requesting-user-name')?.value;
    return typeof v === 'string' && v ? v : undefined;
  };
  const described = async (r: JobRequest, j: PrintJob): Promise<IppGroup> => {
    const n = (await print.jobNumbers([j.id])).get(j.id)!;
    return { tag: GROUP.job, attributes: jobAttributes(madeJob(j, n), r) };
  };
  const asked = (r: JobRequest): string[] | null => attr(r.m, GROUP.operation, 'requested-attributes')?.values.map((v) => String(v.value)) ?? null;
  /** Who asks: the user the client names, else the API actor; their jobs are those made under that name. */
  const caller = (r: JobRequest): string => user(r) ?? actorName(r.p);

  return {
    async validateJob(r: JobRequest): Promise<JobAnswer> {
      checkFormat(r.m);
      const { ticket, ignored } = ticketOf(r.m);
      const t = checkTicket(ticket);
      if (typeof t === 'string') throw new IppError(STATUS.attributesOrValuesNotSupported, t);
      await refusalsAsIpp(() => print.assertAccepting(r.p, r.printerId));
      return answerWith(ignored, []);
    },

    async printJob(r: JobRequest): Promise<JobAnswer> {
      checkFormat(r.m);
      const { ticket, ignored } = ticketOf(r.m);
      const name = first(r.m, 'job-name')?.value ?? first(r.m, 'document-name')?.value;
      const job = await refusalsAsIpp(() => print.submit(r.p, r.printerId, { name: typeof name === 'string' ? name : 'document', stream: r.document() }, ticket, 'ipp', user(r)));
      return answerWith(ignored, [await described(r, job)]);
    },

    /** Create-Job: a number now; the document follows by Send-Document (one document a job). */
    async createJob(r: JobRequest): Promise<JobAnswer> {
      const { ticket, ignored } = ticketOf(r.m);
      const name = first(r.m, 'job-name')?.value;
      const o = await refusalsAsIpp(() => print.open(r.p, r.printerId, typeof name === 'string' ? name : 'document', ticket, user(r)));
      return answerWith(ignored, [{ tag: GROUP.job, attributes: jobAttributes(openJob(o), r) }]);
    },

    async sendDocument(r: JobRequest): Promise<JobAnswer> {
      checkFormat(r.m);
      const n = jobNumber(r.m);
      const o = await print.openJob(r.p, n);
      if (!o || o.deviceId !== r.printerId) {
        const made = await print.jobByNumber(r.p, n).catch(() => null);
        if (made?.deviceId === r.printerId) throw new IppError(STATUS.multipleDocumentJobsNotSupported, `job ${n} has its document already: one document a job`);
        throw new IppError(STATUS.notFound, `no job ${n} waiting for its document on this printer (one is kept ${OPEN_JOB_SECONDS} s)`);
      }
      const last = first(r.m, 'last-document');
      if (last?.tag !== TAG.boolean) throw new IppError(STATUS.badRequest, 'give last-document (a boolean)');
      if (last.value !== true) throw new IppError(STATUS.multipleDocumentJobsNotSupported, 'one document a job: send it with last-document true');
      const job = await refusalsAsIpp(() => print.complete(r.p, o, r.document()));
      return answerWith([], [await described(r, job)]);
    },

    /** Close-Job: a job with its document goes on; one closed without it is dropped. */
    async closeJob(r: JobRequest): Promise<JobAnswer> {
      const n = jobNumber(r.m);
      if (!(await dropIfOpen(r, n))) await jobOn(r, n);
      return answerWith([], []);
    },

    async getJobAttributes(r: JobRequest): Promise<JobAnswer> {
      const n = jobNumber(r.m);
      const o = await print.openJob(r.p, n);
      const g = o && o.deviceId === r.printerId ? { tag: GROUP.job, attributes: jobAttributes(openJob(o), r) } : await described(r, await jobOn(r, n));
      return answerWith([], [{ tag: g.tag, attributes: requestedJob(g.attributes, asked(r), 'all') }]);
    },

    async getJobs(r: JobRequest): Promise<JobAnswer> {
      const which = String(first(r.m, 'which-jobs')?.value ?? 'not-completed');
      if (!['not-completed', 'completed', 'all'].includes(which)) throw new IppError(STATUS.attributesOrValuesNotSupported, `which-jobs ${which.slice(0, 40)} is not supported (not-completed, completed, all)`);
      const limitValue = first(r.m, 'limit')?.value;
      const limit = typeof limitValue === 'number' && limitValue > 0 ? Math.min(limitValue, 500) : 500;
      const mine = first(r.m, 'my-jobs')?.value === true ? user(r) : undefined;
      const wanted = (j: { createdBy: string }) => !mine || originator(j) === mine;
      const open = which === 'completed' ? [] : (await print.openJobs(r.printerId, limit)).filter((o) => canSee(r.p, o.accountId) && wanted(o));
      const jobs = (await print.jobs(r.p, { deviceId: r.printerId, limit: 500 })).filter((j) => (which === 'all' || (which === 'completed') === isFinished(j.state)) && wanted(j));
      const numbers = await print.jobNumbers(jobs.map((j) => j.id));
      const shown = (all: IppAttribute[]): IppGroup => ({ tag: GROUP.job, attributes: requestedJob(all, asked(r), ['job-id', 'job-uri']) });
      const groups: IppGroup[] = [
        ...open.map((o) => shown(jobAttributes(openJob(o), r))),
        ...jobs.filter((j) => numbers.has(j.id)).map((j) => shown(jobAttributes(madeJob(j, numbers.get(j.id)!), r))),
      ];
      return answerWith([], groups.slice(0, limit));
    },

    /** Seed 002's table decides (C0–C5); the status says what happened. A job still without its document is dropped. */
    async cancelJob(r: JobRequest): Promise<JobAnswer> {
      const n = jobNumber(r.m);
      if (await dropIfOpen(r, n)) return answerWith([], []);
      const job = await jobOn(r, n);
      if (isFinished(job.state)) throw new IppError(STATUS.notPossible, `job ${n} is already ${job.state}`);
      const after = await refusalsAsIpp(() => print.cancel(r.p, job.id));
      if (after.state === 'cancel-failed') throw new IppError(STATUS.notPossible, 'the printer could not cancel it now (seed 002 C4); its data is kept until it reports the job done');
      return answerWith([], []);
    },

    /**
     * Cancel-My-Jobs (PWG 5100.11 §4.2): the caller's not-completed jobs on this printer, or those of
     * `job-ids` — every one checked before any is touched — each by seed 002's table as Cancel-Job.
     */
    async cancelMyJobs(r: JobRequest): Promise<JobAnswer> {
      const me = caller(r);
      const ids = attr(r.m, GROUP.operation, 'job-ids');
      if (ids && (ids.values.length > 500 || ids.values.some((v) => v.tag !== TAG.integer))) throw new IppError(STATUS.badRequest, 'job-ids is 1 to 500 integers');
      const open = (await print.openJobs(r.printerId, 500)).filter((o) => canSee(r.p, o.accountId) && originator(o) === me);
      const made = (await print.jobs(r.p, { deviceId: r.printerId, states: UNFINISHED, limit: 500 })).filter((j) => originator(j) === me);
      const numbers = await print.jobNumbers(made.map((j) => j.id));
      let chosen = { open, made };
      if (ids) {
        const wanted = ids.values.map((v) => v.value as number);
        for (const n of wanted) if (!open.some((o) => o.number === n) && ![...numbers.values()].includes(n)) throw await notMine(r, n, me);
        chosen = { open: open.filter((o) => wanted.includes(o.number)), made: made.filter((j) => wanted.includes(numbers.get(j.id) ?? 0)) };
      }
      for (const o of chosen.open) await print.dropOpenJob(o);
      const failed: number[] = [];
      for (const j of chosen.made) {
        const after = await refusalsAsIpp(() =>
          print.cancel(r.p, j.id).catch((err: unknown) => {
            if (err instanceof ServiceError && err.problem === 'conflict') return null; // it ended meanwhile
            throw err;
          }),
        );
        if (after?.state === 'cancel-failed') failed.push(numbers.get(j.id)!);
      }
      if (failed.length) throw new IppError(STATUS.notPossible, `the printer could not cancel job ${failed.join(', ')} now (seed 002 C4); the others are canceled`);
      return answerWith([], []);
    },
  };

  /** Why a job-ids entry of Cancel-My-Jobs is refused: not on this printer, finished, or another user's. */
  async function notMine(r: JobRequest, n: number, me: string): Promise<IppError> {
    const job = await print.jobByNumber(r.p, n).catch(() => null);
    if (!job || job.deviceId !== r.printerId) return new IppError(STATUS.notFound, `no job ${n} on this printer; nothing was canceled`);
    if (isFinished(job.state)) return new IppError(STATUS.notPossible, `job ${n} is already ${job.state}; nothing was canceled`);
    return new IppError(STATUS.notPossible, `job ${n} is not ${me.slice(0, 64)}'s; nothing was canceled`);
  }

  /** Drops the job of that number if it is still waiting for its document on this printer. */
  async function dropIfOpen(r: JobRequest, n: number): Promise<boolean> {
    const o = await print.openJob(r.p, n);
    return Boolean(o && o.deviceId === r.printerId && (await print.dropOpenJob(o)));
  }

  /** The job of that number on this printer, as the caller may see it. */
  async function jobOn(r: JobRequest, n: number): Promise<PrintJob> {
    const job = await refusalsAsIpp(() => print.jobByNumber(r.p, n));
    if (job.deviceId !== r.printerId) throw new IppError(STATUS.notFound, `no job ${n} on this printer`);
    return job;
  }
}

/** The request body after its attributes, as one stream: the bytes already read, then the rest. */
export function documentAfter(rest: Buffer, body: Readable): Readable {
  const out = new PassThrough();
  if (rest.length) out.write(rest);
  body.pipe(out);
  body.on('error', (err) => out.destroy(err));
  body.resume();
  return out;
}
