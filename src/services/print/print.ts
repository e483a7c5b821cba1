import { dayOf } from '../../domain/fleet.js';
import type { Readable } from 'node:stream';
import { CANCEL_ID_PREFIX } from '../../domain/messages.js';
import { accountScope, actorName, canSeeAccount, type Principal } from '../../domain/principal.js';
import {
  OPEN_JOB_SECONDS,
  UNFINISHED,
  cancelResult,
  checkTicket,
  isFinished,
  planCancel,
  statusProblem,
  type CancelAnswer,
  type JobState,
  type PrinterReported,
} from '../../domain/print.js';
import type { DeviceSessions } from '../../sessions/device-sessions.js';
import { BlobNotFoundError } from '../../store/blobs.js';
import type { CountedPage } from '../../store/core.js';
import type { PrinterJobEvent } from '../../store/print.js';
import { ConflictError } from '../../store/store.js';
import type { Device } from '../../domain/devices.js';
import type { JobEvent, OpenJob, PrintJob, PrinterState, Ticket } from '../../domain/print.js';
import { base32 } from '../../domain/identifiers.js';
import type { ServiceContext } from '../kernel/context.js';
import type { DeviceService } from '../identity/devices.js';
import { invalid, notFound, ServiceError } from '../kernel/errors.js';
import { storeDocument } from './documents.js';
import { Waiters } from '../kernel/waiters.js';
import { DeviceTimers } from '../../sessions/device-timers.js';

export interface PrintOptions {
  maxDocumentBytes: number;
  /**
   * Longest an unfinished job keeps its document without any progress: a job held for a printer
   * that never returns, or one the printer could not cancel (C4) and never finished, is then aborted.
   */
  retentionMs: number;
  /** How long a completed job's document is kept for its account (0: deleted at completion). Printers get 410 either way. */
  keepCompletedMs: number;
  /** How long a printer has to answer a pushed cancel (seed 002 C4: then cancel-failed). */
  cancelTimeoutMs: number;
  /** A job announced over a session and not fetched within this is announced again (the session may have died under it). */
  reannounceMs: number;
}

/** Where a printer's troubles become operator alerts (AlertService): a status saying it cannot print, cleared when it says it can. */
export interface PrinterAlerts {
  raise(d: Device, r: { key: string; type: string; code: string | null; description: string; reception: number }): Promise<void>;
  clear(d: Device, key: string): Promise<boolean>;
}

export const DEFAULT_PRINT: PrintOptions = { maxDocumentBytes: 64 * 1024 * 1024, retentionMs: 7 * 86400_000, keepCompletedMs: 0, cancelTimeoutMs: 10_000, reannounceMs: 60_000 };
/** Long-polls held at once. */
const MAX_WAITING_PRINTERS = 10_000;
const MAX_POLL_MS = 60_000;
/** Job events told to an output device at once. */
const MAX_EVENTS = 100;
/** Printers whose announced jobs are watched for a fetch at once. */
const MAX_WATCHED_PRINTERS = 100_000;
/** Jobs announced to a printer in one go. */
const ANNOUNCE_BATCH = 50;

/** Who made a job: the caller, after the user an IPP client names for it. */
const creator = (p: Principal, onBehalfOf?: string): string => (onBehalfOf ? `${onBehalfOf.slice(0, 64)} (${actorName(p)})` : actorName(p));

/**
 * Cloud print (seeds 002 and 003): printers' accepting-jobs and status; jobs taken in only
 * while the printer accepts them, their documents streamed into the store's blobs, announced
 * over the printer's session when it is online (or collected by long-poll), fetched over HTTP,
 * and canceled by the decision table of seed 002 §3.3.
 */
export class PrintService {
  private readonly waiters: Waiters;
  /**
   * Document streams open now, or being opened, by job: a cancel or an abort closes them, so no
   * download of a dead job runs on to its end.
   */
  private readonly streams = new Map<string, Set<{ destroy(err: Error): void }>>();
  /** Printers with jobs announced over a session and not fetched yet: each is announced again after reannounceMs. */
  private readonly unfetched: DeviceTimers;
  private readonly followers: ((job: PrintJob, state: JobState, detail: string) => void)[] = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly devices: DeviceService,
    private readonly sessions: DeviceSessions,
    private readonly o: PrintOptions,
    private readonly alerts?: PrinterAlerts,
  ) {
    this.waiters = new Waiters(ctx.clock, MAX_WAITING_PRINTERS);
    this.unfetched = new DeviceTimers(ctx.clock, MAX_WATCHED_PRINTERS);
    // Jobs held while the printer was away, or announced down a session that has since died (a printer that
    // restarted and logged in again while still ONLINE), are announced on every new session (seed 003 claims).
    sessions.onSessionBound((deviceId) => void this.announceWaiting(deviceId, 'announced on a new session').catch(() => undefined));
    // A printer may download from, and long-poll, any node: cancels and new jobs reach them all.
    sessions.onEverywhere('print.ended', (b) => {
      const { jobId, deviceId, state } = b as { jobId: string; deviceId: string; state: JobState };
      this.closeStreams(jobId, state);
      this.waiters.wake(deviceId); // an output device long-polling its events (IPP INFRA) hears of it at once
    });
    sessions.onEverywhere('print.new-job', (deviceId) => this.waiters.wake(deviceId as string));
  }

  /** Hears every job's moves made on this node (the console shows them live). */
  onJobState(fn: (job: PrintJob, state: JobState, detail: string) => void): void {
    this.followers.push(fn);
  }

  /** Stops re-announcing (the relay is closing). */
  stop(): void {
    this.unfetched.stop();
  }

  get maxDocumentBytes(): number {
    return this.o.maxDocumentBytes;
  }

  // Printers

  async printer(p: Principal, deviceId: string): Promise<{ device: Device; state: PrinterState; online: boolean }> {
    const device = await this.devices.get(p, deviceId);
    return { device, state: await this.state(device.id), online: this.sessions.isOnline(device.id) };
  }

  /** The printers the caller may see, by device ID, with the total; another account's come back empty. */
  async printers(p: Principal, f: { accountId?: string; cursor?: string; limit?: number }): Promise<CountedPage<{ device: Device; state: PrinterState; online: boolean }>> {
    if (f.accountId !== undefined && !canSeeAccount(p, f.accountId)) return { items: [], nextCursor: null, total: 0 };
    const page = await this.ctx.store.print.printers({ accountId: accountScope(p, f.accountId), cursor: f.cursor, limit: Math.min(Math.max(f.limit ?? 100, 1), 500) });
    return { ...page, items: page.items.map((i) => ({ ...i, online: this.sessions.isOnline(i.device.id) })) };
  }

  /** The printer's acceptance / acceptance-stop and status messages (seed 003 T122–T134, T650–T670). */
  async setState(device: Device, s: { acceptingJobs?: boolean; status?: string }): Promise<PrinterState> {
    if (s.status !== undefined && !/^[\x20-\x7e]{1,64}$/.test(s.status)) throw invalid('status is 1–64 printable characters');
    const current = await this.state(device.id);
    const next = { deviceId: device.id, accepting: s.acceptingJobs ?? current.accepting, status: s.status ?? current.status, updatedAt: this.ctx.clock.now() };
    await this.ctx.store.print.setPrinter(next);
    if (next.status !== current.status) await this.statusAlert(device, current.status, next.status);
    if (next.accepting && !current.accepting) void this.announceWaiting(device.id, 'announced when the printer accepted jobs again').catch(() => undefined);
    return next;
  }

  async setAllowedSenders(p: Principal, deviceId: string, senders: string[] | null): Promise<string[] | null> {
    const device = await this.devices.get(p, deviceId);
    const list = senders === null ? null : [...new Set(senders.map((s) => s.toLowerCase()))];
    await this.ctx.store.print.setAllowedSenders(device.id, list);
    return list;
  }

  // Jobs

  /** Refuses before anything is read when the printer is not accepting jobs (seed 003 T230–T234). */
  async assertAccepting(p: Principal, deviceId: string): Promise<Device> {
    const device = await this.devices.get(p, deviceId);
    if (!(await this.state(device.id)).accepting)
      throw new ServiceError('not-accepting-jobs', `${device.model} ${device.serial} is not accepting jobs now; no job was made`);
    return device;
  }

  /**
   * A new job: the document is streamed into the store (never held whole in memory), sniffed and
   * size-limited. `onBehalfOf` is the user an IPP client names (recorded before the caller).
   */
  async submit(p: Principal, deviceId: string, doc: { name: string; stream: Readable }, ticketInput: Record<string, unknown>, source: PrintJob['source'], onBehalfOf?: string): Promise<PrintJob> {
    const ticket = checkTicket(ticketInput);
    if (typeof ticket === 'string') {
      doc.stream.resume();
      throw invalid(ticket);
    }
    const device = await this.assertAccepting(p, deviceId);
    return this.make(device, doc, ticket, source, creator(p, onBehalfOf));
  }

  /**
   * A job an IPP client makes in two steps (Create-Job, then Send-Document): its number now, and
   * what it will be, kept until its document comes (at most OPEN_JOB_SECONDS).
   */
  async open(p: Principal, deviceId: string, name: string, ticketInput: Record<string, unknown>, onBehalfOf?: string): Promise<OpenJob> {
    const ticket = checkTicket(ticketInput);
    if (typeof ticket === 'string') throw invalid(ticket);
    const device = await this.assertAccepting(p, deviceId);
    const o = { deviceId: device.id, accountId: device.accountId, name: (name || 'document').slice(0, 200), ticket, createdBy: creator(p, onBehalfOf), createdAt: this.ctx.clock.now() };
    return { ...o, number: await this.ctx.store.print.openJob(o) };
  }

  /** An open job the caller may see, or null (not open: made, dropped, or another account's). */
  async openJob(p: Principal, number: number): Promise<OpenJob | null> {
    const o = Number.isSafeInteger(number) && number > 0 ? await this.ctx.store.print.openJobByNumber(number) : null;
    return o && canSeeAccount(p, o.accountId) ? o : null;
  }

  openJobs(deviceId: string, limit: number): Promise<OpenJob[]> {
    return this.ctx.store.print.openJobs(deviceId, limit);
  }

  /** The open job's document: the job is made, under its number, and flows on as any other. */
  async complete(p: Principal, o: OpenJob, stream: Readable): Promise<PrintJob> {
    const device = await this.assertAccepting(p, o.deviceId);
    return this.make(device, { name: o.name, stream }, o.ticket, 'ipp', o.createdBy, o.number);
  }

  /** An open job cancelled, or closed without its document; false if it was not open any more. */
  dropOpenJob(o: OpenJob): Promise<boolean> {
    return this.ctx.store.print.dropOpenJob(o.number);
  }

  private async make(device: Device, doc: { name: string; stream: Readable }, ticket: Ticket, source: PrintJob['source'], createdBy: string, openNumber?: number): Promise<PrintJob> {
    const id = `j${this.ctx.clock.now().toString(16).padStart(12, '0')}${base32(this.ctx.random.bytes(8))}`;
    const stored = await storeDocument(doc.stream, this.ctx.store.blobs, id, this.o.maxDocumentBytes);
    const now = this.ctx.clock.now();
    const job: PrintJob = {
      id, deviceId: device.id, accountId: device.accountId, state: 'pending', name: (doc.name || 'document').slice(0, 200),
      documentType: stored.type, documentSize: stored.size, documentSha256: stored.sha256, documentDeleted: false,
      ticket, source, createdBy, createdAt: now, updatedAt: now,
    };
    try {
      await this.ctx.store.print.insertJob(job, openNumber);
    } catch (err) {
      await this.ctx.store.blobs.remove('jobs', id).catch(() => undefined);
      if (err instanceof ConflictError) throw new ServiceError('conflict', err.message);
      throw err;
    }
    await this.ctx.store.fleet.count(device.id, dayOf(now), { jobs: 1 });
    for (const fn of this.followers) fn(job, 'pending', 'submitted');
    void this.announce(job).catch(() => undefined);
    this.sessions.everywhere('print.new-job', device.id);
    return job;
  }

  /** A job by its number (IPP's job-id), as `job` finds one by ID. */
  async jobByNumber(p: Principal, n: number): Promise<PrintJob> {
    const job = await this.numbered(n);
    if (!job || !canSeeAccount(p, job.accountId)) throw notFound(`job ${n}`);
    return job;
  }

  /** A printer's jobs not finished, and those still waiting for their document (IPP queued-job-count). */
  async queuedJobs(p: Principal, deviceId: string): Promise<number> {
    const device = await this.devices.get(p, deviceId);
    return this.ctx.store.print.queuedJobs(device.id, UNFINISHED);
  }

  private async numbered(n: number): Promise<PrintJob | null> {
    return Number.isSafeInteger(n) && n > 0 ? this.ctx.store.print.jobByNumber(n) : null;
  }

  /** Jobs' numbers (IPP's job-id), by job ID. */
  jobNumbers(ids: string[]): Promise<Map<string, number>> {
    return this.ctx.store.print.jobNumbers(ids);
  }

  async job(p: Principal, id: string): Promise<{ job: PrintJob; events: JobEvent[] }> {
    const job = id.length <= 40 ? await this.ctx.store.print.job(id) : null;
    if (!job || !canSeeAccount(p, job.accountId)) throw notFound(`job ${id.slice(0, 40)}`);
    return { job, events: await this.ctx.store.print.events(job.id) };
  }

  async jobs(p: Principal, f: { deviceId?: string; state?: JobState; states?: readonly JobState[]; cursor?: string; limit?: number }): Promise<PrintJob[]> {
    return this.ctx.store.print.jobs({
      accountId: accountScope(p),
      deviceId: f.deviceId,
      states: f.state ? [f.state] : f.states,
      cursor: f.cursor,
      limit: Math.min(Math.max(f.limit ?? 100, 1), 500),
    });
  }

  /** Seed 002 §3.3: C0 and C5 delete at once; C1–C4 ask the printer and wait for its answer (at most cancelTimeoutMs). */
  async cancel(p: Principal, id: string): Promise<PrintJob> {
    const { job } = await this.job(p, id);
    const plan = planCancel(job.state, this.sessions.isOnline(job.deviceId));
    const actor = actorName(p);
    switch (plan.kind) {
      case 'finished':
        throw new ServiceError('conflict', `job ${job.id} is already ${job.state}`);
      case 'delete':
        return this.finish(job, ['pending', 'notified', 'fetched', 'processing', 'cancel-failed'], 'canceled', `${plan.row}: canceled by ${actor}${plan.row === 'C5' ? ' (no session with the printer)' : ' before the printer fetched it'}`);
      case 'ask-printer': {
        if (!(await this.move(job, ['fetched', 'processing', 'cancel-failed'], 'cancel-requested', `cancel requested by ${actor}`)))
          return this.cancel(p, id); // it moved meanwhile: decide again
        const answer = await this.askPrinter(job);
        const result = cancelResult(answer);
        if (result === 'canceled') return this.finish(job, ['cancel-requested'], 'canceled', `the printer answered ${answer}`);
        await this.move(job, ['cancel-requested'], 'cancel-failed',
          `C4: the printer ${answer === 'cannot' ? 'cannot cancel' : 'did not answer'}; the data is kept until it reports completion`);
        return (await this.job(p, id)).job;
      }
    }
  }

  // The printer's side

  /** Jobs waiting for this printer, announced now; long-polls up to waitMs when there are none (seed 003 variation 1). */
  async waitingJobs(device: Device, waitMs: number): Promise<PrintJob[]> {
    let jobs = await this.ctx.store.print.jobs({ deviceId: device.id, states: ['pending', 'notified'], limit: 50 });
    if (jobs.length === 0 && waitMs > 0) {
      await this.waiters.wait(device.id, Math.min(waitMs, MAX_POLL_MS));
      jobs = await this.ctx.store.print.jobs({ deviceId: device.id, states: ['pending', 'notified'], limit: 50 });
    }
    for (const j of jobs) if (j.state === 'pending') await this.move(j, ['pending'], 'notified', 'collected by long-poll');
    return jobs.reverse();
  }

  /** The job as its printer sees it; a deleted or finished job is gone (410). */
  async jobForPrinter(device: Device, id: string): Promise<PrintJob> {
    const job = id.length <= 40 ? await this.ctx.store.print.job(id) : null;
    if (!job || job.deviceId !== device.id) throw notFound(`job ${id.slice(0, 40)}`);
    if (job.documentDeleted || isFinished(job.state)) throw new ServiceError('gone', `job ${job.id} is ${job.state}; its data is deleted`);
    return job;
  }

  /** A job's document for its account, while it exists: until the job ends, or as long as completed ones are kept. */
  async documentFor(p: Principal, id: string): Promise<{ job: PrintJob; stream: Readable }> {
    const { job } = await this.job(p, id);
    if (job.documentDeleted) throw new ServiceError('gone', `job ${job.id} is ${job.state}; its document is deleted`);
    return { job, stream: await this.readDocument(job) };
  }

  /** The document, whole or a byte range (S302/S303). The first fetch moves the job to fetched. */
  async openDocument(device: Device, id: string, range: { start: number; end: number } | null): Promise<{ job: PrintJob; stream: Readable; start: number; end: number }> {
    const job = await this.jobForPrinter(device, id);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? job.documentSize - 1, job.documentSize - 1);
    if (start > end || start >= job.documentSize) throw new ServiceError('range-not-satisfiable', `bytes ${start}-${end} are outside the ${job.documentSize}-byte document`, { size: job.documentSize });
    const stream = await this.readDocument(job, { start, end });
    try {
      await this.move(job, ['pending', 'notified'], 'fetched', 'the printer fetched the document');
    } catch (err) {
      stream.destroy();
      throw err;
    }
    return { job, stream, start, end };
  }

  // Output devices that fetch over IPP (INFRA, issue 16): no session, so a cancel is C0 or C5 for them

  /**
   * Where an output device's subscription starts in the relay's sequence of job events: at its
   * oldest job not fetched yet, so jobs made before it subscribed are reported too.
   */
  async subscribe(device: Device): Promise<number> {
    return (await this.ctx.store.print.firstUnfetchedEvent(device.id)) ?? (await this.ctx.store.print.lastEventSeq()) + 1;
  }

  /** The printer's job events from sequence number `since` on; long-polls up to waitMs when there are none. */
  async printerEvents(device: Device, since: number, waitMs: number): Promise<PrinterJobEvent[]> {
    const events = await this.ctx.store.print.printerEvents(device.id, since, MAX_EVENTS);
    if (events.length > 0 || waitMs <= 0) return events;
    await this.waiters.wait(device.id, Math.min(waitMs, MAX_POLL_MS));
    return this.ctx.store.print.printerEvents(device.id, since, MAX_EVENTS);
  }

  /** The printer's job by its number (IPP's job-id). */
  async printerJob(device: Device, n: number): Promise<PrintJob> {
    const job = await this.numbered(n);
    if (!job || job.deviceId !== device.id) throw notFound(`job ${n}`);
    return job;
  }

  /** A job the printer may still take (Fetch-Job): announced, or not yet, and not fetched. */
  fetchable(job: PrintJob): PrintJob {
    if (job.state !== 'pending' && job.state !== 'notified') throw new ServiceError('conflict', `job ${job.id} is ${job.state}: it is not waiting to be fetched`);
    return job;
  }

  /** The printer takes the job (Acknowledge-Job); its document comes next. */
  async acknowledge(job: PrintJob): Promise<void> {
    this.fetchable(job);
    await this.move(job, ['pending'], 'notified', 'acknowledged by the printer over IPP');
  }

  /** Aborts unfinished jobs past the retention cap and deletes their documents, and completed jobs' kept ones; how many it aborted. */
  async sweep(): Promise<number> {
    const now = this.ctx.clock.now();
    await this.ctx.store.print.dropOpenJobsBefore(now - OPEN_JOB_SECONDS * 1000);
    for (const id of await this.ctx.store.print.keptDocuments(now - this.o.keepCompletedMs, 500)) await this.deleteDocument(id);
    let n = 0;
    for (const job of await this.ctx.store.print.staleJobs(now - this.o.retentionMs, 500)) {
      const hours = Math.round((this.o.retentionMs / 3600_000) * 10) / 10;
      const moved = await this.finish(job, [job.state], 'aborted', `retention cap: no progress for ${hours} h; the document was deleted`, () => {
        throw new ServiceError('conflict', 'the job moved on');
      }).catch(() => null); // it moved on meanwhile: it is not stale
      if (moved) n++;
    }
    return n;
  }

  /** Progress and completion from the printer; data is deleted once the job is finished. */
  async report(device: Device, id: string, state: PrinterReported, detail?: string): Promise<PrintJob> {
    const job = id.length <= 40 ? await this.ctx.store.print.job(id) : null;
    if (!job || job.deviceId !== device.id) throw notFound(`job ${id.slice(0, 40)}`);
    const live: JobState[] = ['notified', 'fetched', 'processing', 'cancel-requested', 'cancel-failed'];
    const note = detail?.slice(0, 200) ?? `the printer reported ${state}`;
    if (state === 'processing') {
      if (!(await this.move(job, ['notified', 'fetched', 'processing'], 'processing', note)))
        throw new ServiceError('conflict', `job ${job.id} is ${job.state}`);
      return (await this.ctx.store.print.job(job.id))!;
    }
    return this.finish(job, live, state, note, () => {
      throw new ServiceError('conflict', `job ${job.id} is ${job.state}`);
    });
  }

  /** A job moves on if it is in one of `from`; whoever follows job states hears of it. */
  private async move(job: PrintJob, from: readonly JobState[], to: JobState, detail: string): Promise<boolean> {
    const moved = await this.ctx.store.print.transition(job.id, from, to, this.ctx.clock.now(), detail);
    if (moved) for (const fn of this.followers) fn(job, to, detail);
    return moved;
  }

  private async finish(job: PrintJob, from: readonly JobState[], to: JobState, detail: string, otherwise?: () => never): Promise<PrintJob> {
    const id = job.id;
    if (!(await this.move(job, from, to, detail))) otherwise?.();
    // A canceled or aborted job's data goes at once (seed 002 §3.3), downloads under way included; a completed one's may be kept a while.
    if (to !== 'completed') this.sessions.everywhere('print.ended', { jobId: id, deviceId: job.deviceId, state: to });
    if (to !== 'completed' || this.o.keepCompletedMs === 0) await this.deleteDocument(id);
    return (await this.ctx.store.print.job(id))!;
  }

  /**
   * The job's document (or a range of it) from the store, tracked from before it is open: a
   * cancel that comes while the store opens it is not missed, and the stream is closed at once.
   */
  private async readDocument(job: PrintJob, range?: { start: number; end: number }): Promise<Readable> {
    const opening = {
      closed: null as Error | null,
      destroy(err: Error) {
        this.closed = err;
      },
    };
    const untrack = this.track(job.id, opening);
    let stream: Readable;
    try {
      stream = await this.ctx.store.blobs.read('jobs', job.id, range);
    } catch (err) {
      if (err instanceof BlobNotFoundError) throw new ServiceError('gone', `job ${job.id}'s document is deleted`);
      throw err;
    } finally {
      untrack();
    }
    if (opening.closed) {
      stream.destroy();
      throw new ServiceError('gone', `${opening.closed.message}; its document is deleted`);
    }
    stream.once('close', this.track(job.id, stream));
    return stream;
  }

  /** Adds an open stream to its job's; returns what takes it off again. */
  private track(jobId: string, stream: { destroy(err: Error): void }): () => void {
    let open = this.streams.get(jobId);
    if (!open) this.streams.set(jobId, (open = new Set()));
    open.add(stream);
    return () => {
      open.delete(stream);
      if (open.size === 0 && this.streams.get(jobId) === open) this.streams.delete(jobId);
    };
  }

  /** Ends every open document stream of the job on this node with an error: the HTTP response is cut short, so the printer sees an incomplete document, not a whole one. */
  private closeStreams(jobId: string, state: JobState): void {
    for (const s of this.streams.get(jobId) ?? []) s.destroy(new Error(`job ${jobId} is ${state}`));
  }

  private async deleteDocument(id: string): Promise<void> {
    await this.ctx.store.blobs.remove('jobs', id);
    await this.ctx.store.print.markDocumentDeleted(id);
  }

  private async askPrinter(job: PrintJob): Promise<CancelAnswer> {
    const requestId = CANCEL_ID_PREFIX + base32(this.ctx.random.bytes(15));
    const msg = { kind: 'cancel', requestId, jobId: job.id } as const;
    // A printer whose node is lost meanwhile said nothing: C4, its data is kept.
    return (await this.sessions.ask(job.deviceId, requestId, 'cancel', msg, this.o.cancelTimeoutMs, 'no-answer').catch(() => null)) ?? 'no-answer';
  }

  /** Announces the job down its printer's session, on whichever node holds it. */
  private async announce(job: PrintJob): Promise<void> {
    if (!this.sessions.isOnline(job.deviceId)) return;
    if (!(await this.sessions.deliver(job.deviceId, { kind: 'job', jobId: job.id }))) return;
    await this.move(job, ['pending'], 'notified', 'announced over the session');
    this.watchFetch(job.deviceId);
  }

  /**
   * Announces the printer's pending and notified jobs down its session, oldest first (at most
   * ANNOUNCE_BATCH), and watches that they are fetched: the session they went down may be dead.
   */
  private async announceWaiting(deviceId: string, why: string): Promise<void> {
    if (!(await this.state(deviceId)).accepting) return;
    const jobs = await this.ctx.store.print.jobs({ deviceId, states: ['pending', 'notified'], limit: ANNOUNCE_BATCH });
    let announced = 0;
    for (const j of jobs.reverse()) {
      if (!(await this.sessions.deliver(deviceId, { kind: 'job', jobId: j.id }))) break;
      announced++;
      if (j.state === 'pending') await this.move(j, ['pending'], 'notified', why);
    }
    if (announced > 0) this.watchFetch(deviceId);
  }

  /** Jobs announced to this printer and still not fetched after reannounceMs are announced again, for as long as it holds a session. */
  private watchFetch(deviceId: string): void {
    this.unfetched.arm(deviceId, this.o.reannounceMs, () => {
      if (!this.sessions.isOnline(deviceId)) return; // its next session announces them
      void this.announceWaiting(deviceId, 'announced again: not fetched in time').catch(() => undefined);
    });
  }

  /**
   * A status saying the printer cannot print (toner empty, paper jam…) raises an alert naming the
   * jobs it holds up; the next status clears it. Not from a report: reception number 0.
   */
  private async statusAlert(device: Device, before: string | null, now: string | null): Promise<void> {
    if (!this.alerts) return;
    const was = statusProblem(before);
    const is = statusProblem(now);
    if (was && was.key !== is?.key) await this.alerts.clear(device, was.key);
    if (!is || is.key === was?.key) return;
    const held = await this.ctx.store.print.jobs({ deviceId: device.id, states: ['fetched', 'processing', 'cancel-failed'], limit: 5 });
    const jobs = held.length ? `; held up: ${held.map((j) => `job ${j.id} (${j.state})`).join(', ')}` : '';
    await this.alerts.raise(device, { key: is.key, type: is.type, code: null, description: `the printer reports "${now}"${jobs}`.slice(0, 500), reception: 0 });
  }

  private async state(deviceId: string): Promise<PrinterState> {
    return (await this.ctx.store.print.printer(deviceId)) ?? { deviceId, accepting: false, status: null, updatedAt: 0 };
  }
}

