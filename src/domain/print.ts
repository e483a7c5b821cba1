/**
 * Print jobs (seeds 002 and 003), pure: states, the ticket, document sniffing, and the cancel
 * decision table of seed 002 §3.3 (C0–C5).
 */

export const JOB_STATES = ['pending', 'notified', 'fetched', 'processing', 'completed', 'canceled', 'aborted', 'cancel-requested', 'cancel-failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const FINISHED: readonly JobState[] = ['completed', 'canceled', 'aborted'];
export const isFinished = (s: JobState): boolean => FINISHED.includes(s);
export const UNFINISHED: readonly JobState[] = JOB_STATES.filter((s) => !isFinished(s));

/** States a printer reports about its job (POST /device/v1/jobs/{id}/state). */
export const PRINTER_REPORTED = ['processing', 'completed', 'aborted', 'canceled'] as const;
export type PrinterReported = (typeof PRINTER_REPORTED)[number];

/** Job ticket with IPP attribute names. */
export interface Ticket {
  copies: number;
  media: string;
  'print-color-mode': 'color' | 'monochrome' | 'auto';
  'print-quality': 'draft' | 'normal' | 'high';
  sides: 'one-sided' | 'two-sided-long-edge' | 'two-sided-short-edge';
  /** Pages to print, as ascending, non-overlapping [first, last] ranges from 1; absent: all. */
  'page-ranges'?: [number, number][];
}

/** Most page ranges a ticket may carry. */
export const MAX_PAGE_RANGES = 32;

export const DEFAULT_TICKET: Ticket = { copies: 1, media: 'iso_a4_210x297mm', 'print-color-mode': 'auto', 'print-quality': 'normal', sides: 'one-sided' };

export function checkTicket(t: Record<string, unknown>): Ticket | string {
  const out: Ticket = { ...DEFAULT_TICKET };
  for (const [k, v] of Object.entries(t)) {
    switch (k) {
      case 'copies':
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 999) return 'copies is 1 to 999';
        out.copies = v as number;
        break;
      case 'media':
        if (typeof v !== 'string' || !/^[a-z0-9_.-]{1,64}$/.test(v)) return 'media is a PWG media name, e.g. iso_a4_210x297mm or na_letter_8.5x11in';
        out.media = v;
        break;
      case 'print-color-mode':
        if (!['color', 'monochrome', 'auto'].includes(v as string)) return 'print-color-mode is color, monochrome or auto';
        out['print-color-mode'] = v as Ticket['print-color-mode'];
        break;
      case 'print-quality':
        if (!['draft', 'normal', 'high'].includes(v as string)) return 'print-quality is draft, normal or high';
        out['print-quality'] = v as Ticket['print-quality'];
        break;
      case 'sides':
        if (!['one-sided', 'two-sided-long-edge', 'two-sided-short-edge'].includes(v as string)) return 'sides is one-sided, two-sided-long-edge or two-sided-short-edge';
        out.sides = v as Ticket['sides'];
        break;
      case 'page-ranges': {
        const ranges = pageRanges(v);
        if (typeof ranges === 'string') return ranges;
        out['page-ranges'] = ranges;
        break;
      }
      default:
        return `unknown ticket attribute ${k.slice(0, 40)}`;
    }
  }
  return out;
}

/** page-ranges as IPP has them (RFC 8011 §5.2.7): 1 to MAX_PAGE_RANGES ranges, ascending and apart, pages from 1. */
function pageRanges(v: unknown): [number, number][] | string {
  const problem = `page-ranges is 1–${MAX_PAGE_RANGES} ascending, non-overlapping [first, last] page ranges, pages from 1`;
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_PAGE_RANGES) return problem;
  const out: [number, number][] = [];
  for (const r of v) {
    if (!Array.isArray(r) || r.length !== 2 || !r.every((n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000)) return problem;
    const [first, last] = r as [number, number];
    if (first > last || (out.length > 0 && first <= out[out.length - 1]![1])) return problem;
    out.push([first, last]);
  }
  return out;
}

export type DocumentType = 'application/pdf' | 'image/jpeg' | 'image/png' | 'image/pwg-raster' | 'text/plain';

/** What a document is, from its first bytes; null if not something we print. */
export function sniffDocument(head: Buffer): DocumentType | null {
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  // PWG 5102.4: the sync word, then the first page's header (whose first field is "PwgRaster").
  if (head.subarray(0, 4).toString('latin1') === 'RaS2') return 'image/pwg-raster';
  if (head.length > 0 && !head.includes(0) && isUtf8Prefix(head)) return 'text/plain';
  return null;
}

function isUtf8Prefix(b: Buffer): boolean {
  // A prefix may end inside a multi-byte sequence: allow up to 3 trailing bytes to be cut.
  for (let cut = 0; cut <= 3 && cut < b.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, b.length - cut));
      return true;
    } catch {
      /* try a shorter prefix */
    }
  }
  return false;
}

export type CancelPlan =
  | { kind: 'finished' } // 409
  | { kind: 'delete'; row: 'C0' } // printer not told, or has not fetched: delete without asking
  | { kind: 'ask-printer' } // C1–C4, fetched and the printer online: push the cancel and wait for its answer
  | { kind: 'delete'; row: 'C5' }; // fetched, but no session to ask over: delete

/** Seed 002 §3.3: what a cancel request does to a job in `state`. */
export function planCancel(state: JobState, printerOnline: boolean): CancelPlan {
  if (isFinished(state)) return { kind: 'finished' };
  if (state === 'pending' || state === 'notified') return { kind: 'delete', row: 'C0' };
  if (!printerOnline) return { kind: 'delete', row: 'C5' };
  return { kind: 'ask-printer' };
}

export type CancelAnswer = 'canceled' | 'not-printing' | 'cannot' | 'no-answer';

/** C1–C3: the printer canceled or was not printing → canceled. C4: it cannot, or said nothing in time → cancel-failed. */
export function cancelResult(a: CancelAnswer): 'canceled' | 'cancel-failed' {
  return a === 'canceled' || a === 'not-printing' ? 'canceled' : 'cancel-failed';
}

/** What a printer's status message says is wrong, for an alert; null when it says nothing is (idle, printing, warming up…). */
export function statusProblem(status: string | null): { key: string; type: 'consumable-low' | 'abnormal' } | null {
  if (status === null) return null;
  const s = status.toLowerCase().replace(/\s+/g, ' ').trim();
  const consumable = /\b(toner|ink|drum|cartridge)\b/.test(s) || (/\b(paper|media)\b/.test(s) && /\b(out|empty|low|no)\b/.test(s));
  if (consumable) return { key: `printer-status:${s}`, type: 'consumable-low' };
  if (/\b(jam|jammed|error|fault|failure|door|cover|open|stopped|offline|service)\b/.test(s)) return { key: `printer-status:${s}`, type: 'abnormal' };
  return null;
}

export interface PrinterState {
  deviceId: string;
  accepting: boolean;
  status: string | null;
  updatedAt: number;
  /** E-mail senders allowed to print here; null: anyone. */
  allowedSenders?: string[] | null;
}

/** A print control page (seed 002 FIG. 3): the print objects of one e-mail, and the job made from them. */
export interface PrintPage {
  id: string;
  deviceId: string;
  accountId: string;
  sender: string;
  subject: string;
  files: { name: string; type: string; size: number }[];
  jobId: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface PrintJob {
  id: string;
  deviceId: string;
  accountId: string;
  state: JobState;
  name: string;
  documentType: string;
  documentSize: number;
  documentSha256: string;
  documentDeleted: boolean;
  ticket: Ticket;
  source: 'api' | 'mail' | 'page' | 'ipp';
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

/** A job an IPP client is still making (Create-Job, before Send-Document): its number and what it will be. */
export interface OpenJob {
  number: number;
  deviceId: string;
  accountId: string;
  name: string;
  ticket: Ticket;
  createdBy: string;
  createdAt: number;
}

/** How long an open job waits for its document (IPP multiple-operation-time-out). */
export const OPEN_JOB_SECONDS = 600;

export interface JobEvent {
  at: number;
  state: JobState;
  detail: string | null;
}
