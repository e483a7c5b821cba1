/**
 * IPP as FleetRelay speaks it (issue 16; RFC 8011, PWG 5100.14 IPP Everywhere): operation codes,
 * status codes, and how the relay's printer and job states read in IPP. Pure.
 */
import { createHash } from 'node:crypto';
import type { JobState, PrinterReported } from './print.js';

export const OPERATION = {
  printJob: 0x0002,
  validateJob: 0x0004,
  createJob: 0x0005,
  sendDocument: 0x0006,
  cancelJob: 0x0008,
  getJobAttributes: 0x0009,
  getJobs: 0x000a,
  getPrinterAttributes: 0x000b,
  cancelMyJobs: 0x0039,
  closeJob: 0x003b,
  identifyPrinter: 0x003c,
  // An output device's operations (PWG 5100.18 INFRA; RFC 3995/3996 subscriptions and ippget)
  createPrinterSubscriptions: 0x0016,
  cancelSubscription: 0x001b,
  getNotifications: 0x001c,
  acknowledgeDocument: 0x003f,
  acknowledgeJob: 0x0041,
  fetchDocument: 0x0042,
  fetchJob: 0x0043,
  updateActiveJobs: 0x0045,
  deregisterOutputDevice: 0x0046,
  updateDocumentStatus: 0x0047,
  updateJobStatus: 0x0048,
  updateOutputDeviceAttributes: 0x0049,
} as const;

export const STATUS = {
  ok: 0x0000,
  okIgnoredOrSubstituted: 0x0001,
  badRequest: 0x0400,
  forbidden: 0x0401,
  notAuthenticated: 0x0402,
  notFound: 0x0406,
  notPossible: 0x0404,
  documentFormatNotSupported: 0x040a,
  attributesOrValuesNotSupported: 0x040b,
  charsetNotSupported: 0x040d,
  requestEntityTooLarge: 0x0409,
  internalError: 0x0500,
  operationNotSupported: 0x0501,
  serviceUnavailable: 0x0502,
  versionNotSupported: 0x0503,
  multipleDocumentJobsNotSupported: 0x0509,
  notAcceptingJobs: 0x0506,
  notFetchable: 0x0420,
} as const;

/** IPP job-state (RFC 8011 §5.3.7) of a relay job: announced and fetched jobs are processing as far as a client can tell. */
export function ippJobState(s: JobState): number {
  switch (s) {
    case 'pending':
    case 'notified':
      return 3; // pending
    case 'completed':
      return 9;
    case 'canceled':
      return 7;
    case 'aborted':
      return 8;
    default:
      return 5; // processing (fetched, processing, cancel-requested, cancel-failed)
  }
}

/**
 * IPP printer-state (RFC 8011 §5.4.11) and its reasons: idle while it accepts jobs (one sent while
 * it is offline waits for it, as a REST job does: `offline-report` says so), stopped when it does not.
 */
export function ippPrinterState(p: { accepting: boolean; online: boolean }): { state: number; reasons: string[] } {
  const reasons = [...(p.online ? [] : ['offline-report']), ...(p.accepting ? [] : ['paused'])];
  return { state: p.accepting ? 3 : 5, reasons: reasons.length ? reasons : ['none'] };
}

/** What an output device's IPP job-state says to the relay (INFRA Update-Job-Status): progress or an end; null for states that say nothing new (pending, held, stopped). */
export function reportedState(ippState: number): PrinterReported | null {
  switch (ippState) {
    case 5:
      return 'processing';
    case 7:
      return 'canceled';
    case 8:
      return 'aborted';
    case 9:
      return 'completed';
    default:
      return null;
  }
}

/** A stable UUID for a device (RFC 4122 layout over the SHA-256 of its ID): IPP printers and output devices carry one. */
export function deviceUuid(id: string): string {
  const hex = createHash('sha256').update(id).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
