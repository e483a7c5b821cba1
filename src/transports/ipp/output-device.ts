import type { Readable } from 'node:stream';
import type { Device } from '../../domain/devices.js';
import { RELAY } from '../../domain/principal.js';
import { ippJobState, OPERATION, reportedState, STATUS } from '../../domain/ipp.js';
import { attr, GROUP, TAG, type IppAttribute, type IppGroup, type IppMessage } from '../../protocol/ipp/codec.js';
import { ServiceError } from '../../services/kernel/errors.js';
import type { PrintService } from '../../services/print/print.js';
import type { PrinterJobEvent } from '../../store/print.js';
import { charset, enumeration, integer, keyword, language, text, uri } from './attributes.js';
import { IppError, jobAttributes, madeJob, refusalsAsIpp, type JobAnswer } from './jobs.js';

/** What an output device's operation works with: the device (its token said who it is), its printer's URI, the request. */
export interface DeviceRequest {
  device: Device;
  printerUri: string;
  m: IppMessage;
  upSince: number;
  now: number;
}

/** An answer, and for Fetch-Document the document after it. */
export type DeviceAnswer = JobAnswer & { document?: Readable };

/** Longest a Get-Notifications with notify-wait is held when there is nothing to tell (ippserver holds 30 s). */
const NOTIFY_WAIT_MS = 30_000;
/**
 * Seconds an output device waits before its next Get-Notifications. Small: Debian's ippproxy sleeps
 * this long after every answer, so a job would wait that long before it is fetched.
 */
const NOTIFY_GET_INTERVAL = 1;

/** Operation codes only an output device sends (the token in its credentials is a device token). */
export const DEVICE_OPERATIONS = new Set<number>([
  OPERATION.createPrinterSubscriptions,
  OPERATION.cancelSubscription,
  OPERATION.getNotifications,
  OPERATION.fetchJob,
  OPERATION.acknowledgeJob,
  OPERATION.fetchDocument,
  OPERATION.acknowledgeDocument,
  OPERATION.updateJobStatus,
  OPERATION.updateDocumentStatus,
  OPERATION.updateActiveJobs,
  OPERATION.updateOutputDeviceAttributes,
  OPERATION.deregisterOutputDevice,
]);

/** Whether a request comes from an output device: one of its operations, or Get-Jobs for the jobs it may fetch. */
export const fromOutputDevice = (m: IppMessage): boolean =>
  DEVICE_OPERATIONS.has(m.code) || (m.code === OPERATION.getJobs && attr(m, GROUP.operation, 'which-jobs')?.values[0]?.value === 'fetchable');

const ok = (groups: IppGroup[] = [], operation: IppAttribute[] = []): DeviceAnswer => ({ status: STATUS.ok, message: 'successful-ok', groups, operation });

/** A value of the request's attribute, from the group given or the operation group (versions of ippproxy put some in either). */
function value(m: IppMessage, name: string, groups: number[] = [GROUP.operation]): unknown {
  for (const g of groups) {
    const a = attr(m, g, name);
    if (a) return a.values[0]?.value;
  }
  return undefined;
}

function integerOf(m: IppMessage, name: string, groups?: number[]): number {
  const n = value(m, name, groups);
  if (typeof n !== 'number') throw new IppError(STATUS.badRequest, `give ${name}`);
  return n;
}

/** One document a job: its number is 1. */
function documentOne(m: IppMessage): void {
  if (integerOf(m, 'document-number') !== 1) throw new IppError(STATUS.notFound, 'a relay job has one document: document-number 1');
}

/** A refused fetch (Acknowledge-Job or -Document with a fetch-status-code other than successful-ok). */
const refused = (m: IppMessage): number | null => {
  const code = value(m, 'fetch-status-code');
  return typeof code === 'number' && code !== STATUS.ok ? code : null;
};

/** The refusal of a job that is no longer waiting to be fetched is client-error-not-fetchable (PWG 5100.18 §6.2). */
async function notFetchableIfTaken<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ServiceError && err.problem === 'conflict') throw new IppError(STATUS.notFetchable, err.message);
    throw err;
  }
}

/** What each job event is to an output device: a job to fetch, or a job whose state changed. */
function eventGroup(e: PrinterJobEvent, subscription: number, r: DeviceRequest): IppGroup {
  const fetchable = e.state === 'pending';
  return {
    tag: GROUP.eventNotification,
    attributes: [
      integer('notify-subscription-id', subscription),
      integer('notify-sequence-number', e.seq),
      keyword('notify-subscribed-event', fetchable ? 'job-fetchable' : 'job-state-changed'),
      text('notify-text', fetchable ? `job ${e.number} is waiting to be fetched` : `job ${e.number} is ${e.state}`),
      charset('notify-charset', 'utf-8'),
      language('notify-natural-language', 'en'),
      uri('notify-printer-uri', r.printerUri),
      integer('printer-up-time', upTime(r)),
      integer('notify-job-id', e.number),
      integer('job-id', e.number),
      enumeration('job-state', ippJobState(e.state)),
      keyword('job-state-reasons', fetchable ? 'job-fetchable' : 'none'),
    ],
  };
}

const upTime = (r: Pick<DeviceRequest, 'now' | 'upSince'>): number => Math.max(1, Math.round((r.now - r.upSince) / 1000));

/**
 * The output device's side of IPP INFRA (PWG 5100.18): a printer, or a proxy in front of one,
 * authenticated with its device token, subscribes to its printer's job events and long-polls
 * them (Get-Notifications with notify-wait), fetches and acknowledges jobs and their document,
 * and reports their states and its own. One document a job; a subscription is where it starts in
 * the relay's sequence of job events, so it needs nothing kept per subscription.
 */
export function outputDeviceOperations(print: PrintService): Map<number, (r: DeviceRequest) => Promise<DeviceAnswer>> {
  const jobOf = (r: DeviceRequest) => refusalsAsIpp(() => print.printerJob(r.device, integerOf(r.m, 'job-id')));

  const operations: [number, (r: DeviceRequest) => Promise<DeviceAnswer>][] = [
    /** ippget subscriptions only (RFC 3996): the relay keeps no subscription; its ID is where its events start. */
    [OPERATION.createPrinterSubscriptions, async (r) => {
      const asked = r.m.groups.filter((g) => g.tag === GROUP.subscription);
      if (asked.length === 0) throw new IppError(STATUS.badRequest, 'give a subscription group (notify-pull-method ippget)');
      const id = await print.subscribe(r.device);
      const groups = asked.map((g): IppGroup => {
        const method = g.attributes.find((a) => a.name === 'notify-pull-method')?.values[0]?.value;
        return method === 'ippget'
          ? { tag: GROUP.subscription, attributes: [integer('notify-subscription-id', id), integer('notify-lease-duration', 0)] }
          : { tag: GROUP.subscription, attributes: [enumeration('notify-status-code', STATUS.attributesOrValuesNotSupported), keyword('notify-pull-method', 'ippget')] };
      });
      return ok(groups);
    }],
    [OPERATION.cancelSubscription, async (r) => {
      integerOf(r.m, 'notify-subscription-id');
      return ok();
    }],
    [OPERATION.getNotifications, async (r) => {
      const ids = attr(r.m, GROUP.operation, 'notify-subscription-ids')?.values.map((v) => v.value);
      const subscription = ids?.[0];
      if (typeof subscription !== 'number' || subscription < 1) throw new IppError(STATUS.badRequest, 'give notify-subscription-ids (from Create-Printer-Subscriptions)');
      const next = value(r.m, 'notify-sequence-numbers');
      const since = Math.max(subscription, typeof next === 'number' ? next : 0);
      const events = await print.printerEvents(r.device, since, value(r.m, 'notify-wait') === true ? NOTIFY_WAIT_MS : 0);
      return ok(events.map((e) => eventGroup(e, subscription, r)), [integer('notify-get-interval', NOTIFY_GET_INTERVAL), integer('printer-up-time', upTime(r))]);
    }],
    /** Get-Jobs which-jobs=fetchable: the jobs waiting for this printer (newer ippproxy asks at start). */
    [OPERATION.getJobs, async (r) => {
      const jobs = await print.jobs(RELAY, { deviceId: r.device.id, states: ['pending', 'notified'], limit: 500 });
      const numbers = await print.jobNumbers(jobs.map((j) => j.id));
      return ok(jobs.filter((j) => numbers.has(j.id)).map((j) => ({ tag: GROUP.job, attributes: [...jobAttributes(madeJob(j, numbers.get(j.id)!), r), keyword('job-state-reasons', 'job-fetchable')] })));
    }],
    [OPERATION.fetchJob, async (r) => {
      const job = await jobOf(r);
      await notFetchableIfTaken(async () => print.fetchable(job));
      const n = integerOf(r.m, 'job-id');
      const attributes = jobAttributes(madeJob(job, n), r).filter((a) => a.name !== 'job-state-reasons');
      return ok([{ tag: GROUP.job, attributes: [...attributes, keyword('job-state-reasons', 'job-fetchable'), integer('number-of-documents', 1), { name: 'document-format-supplied', values: [{ tag: TAG.mimeMediaType, value: job.documentType }] }] }]);
    }],
    [OPERATION.acknowledgeJob, async (r) => {
      const job = await jobOf(r);
      const code = refused(r.m);
      if (code !== null) await refusalsAsIpp(() => print.report(r.device, job.id, 'aborted', `the printer refused it (fetch-status-code 0x${code.toString(16).padStart(4, '0')})`));
      else await notFetchableIfTaken(() => print.acknowledge(job));
      return ok();
    }],
    /** The document after the answer, in the same HTTP response; a cancel cuts it short (seed 002 C0/C5). */
    [OPERATION.fetchDocument, async (r) => {
      documentOne(r.m);
      const job = await jobOf(r);
      const accepted = attr(r.m, GROUP.operation, 'document-format-accepted')?.values.map((v) => String(v.value));
      if (accepted && !accepted.includes(job.documentType) && !accepted.includes('application/octet-stream'))
        throw new IppError(STATUS.notFetchable, `the relay does not convert documents: job ${job.id} is ${job.documentType}`);
      const { stream } = await refusalsAsIpp(() => print.openDocument(r.device, job.id, null));
      const document: IppAttribute[] = [
        { name: 'document-format', values: [{ tag: TAG.mimeMediaType, value: job.documentType }] },
        integer('document-number', 1),
        keyword('compression', 'none'),
      ];
      return { ...ok([{ tag: GROUP.document, attributes: document }]), document: stream };
    }],
    [OPERATION.acknowledgeDocument, async (r) => {
      documentOne(r.m);
      const job = await jobOf(r);
      const code = refused(r.m);
      if (code !== null) await refusalsAsIpp(() => print.report(r.device, job.id, 'aborted', `the printer could not take its document (fetch-status-code 0x${code.toString(16).padStart(4, '0')})`));
      return ok();
    }],
    /** A job's progress and end; a job the relay has ended (canceled, aborted) stays so: client-error-not-possible. */
    [OPERATION.updateJobStatus, async (r) => {
      const job = await jobOf(r);
      const state = value(r.m, 'output-device-job-state', [GROUP.job, GROUP.operation]) ?? value(r.m, 'job-state', [GROUP.job]);
      const reported = typeof state === 'number' ? reportedState(state) : null;
      if (reported) await refusalsAsIpp(() => print.report(r.device, job.id, reported, `the printer reported ${reported} over IPP`));
      return ok();
    }],
    /** A document's state is its job's (one document a job): taken, and nothing more is made of it. */
    [OPERATION.updateDocumentStatus, async (r) => {
      documentOne(r.m);
      await jobOf(r);
      return ok();
    }],
    /** The jobs the device holds, with their states: the answer names those the relay has in another state (e.g. canceled meanwhile). */
    [OPERATION.updateActiveJobs, async (r) => {
      const ids = attr(r.m, GROUP.operation, 'job-ids')?.values.map((v) => v.value) ?? [];
      const states = attr(r.m, GROUP.operation, 'output-device-job-states')?.values.map((v) => v.value) ?? [];
      if (ids.length !== states.length || ids.length > 500 || ids.some((n) => typeof n !== 'number')) throw new IppError(STATUS.badRequest, 'job-ids and output-device-job-states go in pairs (at most 500)');
      const differ: { n: number; state: number }[] = [];
      for (const [i, n] of (ids as number[]).entries()) {
        const job = await print.printerJob(r.device, n).catch(() => null);
        const state = job ? ippJobState(job.state) : 9; // a job the relay no longer has is over for it
        if (state !== states[i]) differ.push({ n, state });
      }
      return ok([], differ.length ? [integer('job-ids', ...differ.map((d) => d.n)), enumeration('output-device-job-states', ...differ.map((d) => d.state))] : []);
    }],
    /** The device's own state: printer-is-accepting-jobs (or printer-state: stopped is not accepting) and printer-state-message, as seed 003's acceptance. */
    [OPERATION.updateOutputDeviceAttributes, async (r) => {
      const accepting = value(r.m, 'printer-is-accepting-jobs', [GROUP.printer]);
      const state = value(r.m, 'printer-state', [GROUP.printer]);
      const reasons = attr(r.m, GROUP.printer, 'printer-state-reasons')?.values.map((v) => String(v.value)).filter((s) => s !== 'none') ?? [];
      const message = value(r.m, 'printer-state-message', [GROUP.printer]);
      const said = typeof message === 'string' && message ? message : reasons.join(' ');
      const status = said.replace(/[^\x20-\x7e]/g, '').slice(0, 64) || (typeof state === 'number' ? PRINTER_STATE[state] : undefined);
      const acceptingJobs = typeof accepting === 'boolean' ? accepting : typeof state === 'number' ? state !== 5 : undefined;
      if (acceptingJobs !== undefined || status) await refusalsAsIpp(() => print.setState(r.device, { acceptingJobs, status: status || undefined }));
      return ok();
    }],
    [OPERATION.deregisterOutputDevice, async (r) => {
      await print.setState(r.device, { acceptingJobs: false, status: 'deregistered' });
      return ok();
    }],
  ];
  return new Map(operations);
}

const PRINTER_STATE: Record<number, string> = { 3: 'idle', 4: 'processing', 5: 'stopped' };
