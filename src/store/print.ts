import type { Device } from '../domain/devices.js';
import type { JobEvent, JobState, OpenJob, PrintJob, PrintPage, PrinterState } from '../domain/print.js';
import type { CountedPage } from './core.js';

/** A job event as an output device is told of it (IPP INFRA): its place in the relay's sequence of events, the job, its number. */
export interface PrinterJobEvent {
  seq: number;
  jobId: string;
  number: number;
  state: JobState;
  at: number;
}

export interface PrinterFilter {
  accountId?: string;
  cursor?: string;
  limit: number;
}

/** The Store port, cloud print (seeds 002, 003): printers, jobs and their events, print control pages. */
export interface PrintStore {
  printer(deviceId: string): Promise<PrinterState | null>;
  setPrinter(p: PrinterState): Promise<void>;
  /** Devices with a printer record (they said whether they accept jobs, or were given mail senders), by device ID. */
  printers(f: PrinterFilter): Promise<CountedPage<{ device: Device; state: PrinterState }>>;
  /** Stores a new job with its first event and gives it its number (IPP's job-id), or the open job's number it was made under. */
  insertJob(j: PrintJob, openNumber?: number): Promise<void>;
  /** A new number for a job an IPP client is making; what it will be is kept until its document comes. */
  openJob(o: Omit<OpenJob, 'number'>): Promise<number>;
  openJobByNumber(n: number): Promise<OpenJob | null>;
  openJobs(deviceId: string, limit: number): Promise<OpenJob[]>;
  /** Drops an open job (cancelled, closed without a document); false if it is not open. */
  dropOpenJob(n: number): Promise<boolean>;
  /** Open jobs made before `before` are dropped; how many. */
  dropOpenJobsBefore(before: number): Promise<number>;
  job(id: string): Promise<PrintJob | null>;
  /** Jobs' numbers (IPP's job-id), by job ID; a job gone has none. */
  jobNumbers(ids: string[]): Promise<Map<string, number>>;
  jobByNumber(n: number): Promise<PrintJob | null>;
  /** Moves a job to `to` only from one of `from`, recording the event; false if it was elsewhere. */
  transition(id: string, from: readonly JobState[], to: JobState, at: number, detail?: string): Promise<boolean>;
  markDocumentDeleted(id: string): Promise<void>;
  events(id: string): Promise<JobEvent[]>;
  /** How many of the printer's jobs are in one of `states`, and how many are still waiting for their document (open). */
  queuedJobs(deviceId: string, states: readonly JobState[]): Promise<number>;
  /** The latest job event's sequence number, across all jobs (0: none yet). */
  lastEventSeq(): Promise<number>;
  /** A printer's job events from sequence number `since` on, oldest first, with their jobs' numbers: what IPP notifications report. */
  printerEvents(deviceId: string, since: number, limit: number): Promise<PrinterJobEvent[]>;
  /** The sequence number of the first event of the printer's oldest job not fetched yet; null when it has none. */
  firstUnfetchedEvent(deviceId: string): Promise<number | null>;
  jobs(f: { accountId?: string; deviceId?: string; states?: readonly JobState[]; cursor?: string; limit: number }): Promise<PrintJob[]>;
  /** Unfinished jobs not touched since `before`, oldest first. */
  staleJobs(before: number, limit: number): Promise<PrintJob[]>;
  /** Completed jobs finished before `before` whose document is still on disk. */
  keptDocuments(before: number, limit: number): Promise<string[]>;
  setAllowedSenders(deviceId: string, senders: string[] | null): Promise<void>;
  insertPage(p: PrintPage, tokenHash: string, cancelHash: string): Promise<void>;
  pageByTokenHash(hash: string): Promise<PrintPage | null>;
  pageByCancelHash(hash: string): Promise<PrintPage | null>;
  setPageJob(pageId: string, jobId: string): Promise<void>;
  pages(deviceId: string, limit: number): Promise<PrintPage[]>;
}
