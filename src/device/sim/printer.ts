import { request, type ClientRequest } from 'node:http';
import { cancelResultIq, decodePrintStanza } from '../../protocol/xmpp/print-codec.js';
import { DEVICE_HTTP, jobHref } from '../../protocol/device-http.js';
import { Backoff, BoshClient } from '../sdk/bosh-client.js';
import { httpPost } from '../sdk/http.js';
import type { DeviceCredentials } from '../sdk/registration.js';
import { CloudPrintSettings, type DisablePolicy } from '../sdk/cloud-print-settings.js';
import { systemClock, type Clock } from '../../domain/clock.js';

export interface VirtualPrinterOptions {
  relayUrl: string;
  domain: string;
  credentials: DeviceCredentials;
  /** A printer that cannot cancel once it has the job (seed 002 C4). */
  canCancel?: boolean;
  /** Time to print a page. */
  pageMs?: number;
  /** Download speed limit in bytes per second (to cancel mid-download in tests); none by default. */
  bytesPerSecond?: number;
  /** What a disable does to accepting-jobs (seed 003 embodiments 1–4), and the delay of policy 'delayed'. */
  policy?: DisablePolicy;
  stopDelayMs?: number;
  clock?: Clock;
  /**
   * A toner cartridge (embodiment 5): each page uses `perPagePercent`; a job notice when the
   * toner left is below the average a job used (or `estimatePercent` before any job) stops
   * acceptance; running out interrupts printing until replaceCartridge().
   */
  toner?: { percent?: number; perPagePercent: number; estimatePercent?: number };
  onEvent?: (event: string, jobId: string) => void;
}

/** Past jobs the toner estimate averages over. */
const TONER_HISTORY = 10;
/** Reconnect back-off: first delay, and the longest (each jittered ±50 %). */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 60_000;

interface Current {
  jobId: string;
  phase: 'downloading' | 'printing' | 'interrupted';
  download: ClientRequest | null;
  stop: boolean;
  /** Wakes an interrupted print (cartridge replaced or job canceled). */
  wake: (() => void) | null;
}

/**
 * A cloud printer (seeds 002, 003): holds a session, says it accepts jobs, and on a job notice
 * fetches the job and its document over HTTP, "prints" it page by page and reports progress
 * and completion. A pushed cancel aborts the download or the printing and deletes the local job
 * — or, for a printer that cannot cancel, is refused with <not-allowed/>.
 */
export class VirtualPrinter {
  private client: BoshClient | null = null;
  private current: Current | null = null;
  private readonly queue: string[] = [];
  readonly printed: string[] = [];
  /** The printer's cloud-print settings (seed 003), acting through this printer. */
  readonly settings: CloudPrintSettings;
  tonerPercent: number;
  private readonly tonerPerJob: number[] = [];
  /** What the printer last told the relay: acceptance (true) or acceptance-stop (false). */
  accepting: boolean | null = null;
  private status: string | null = null;
  /** Between connect() and stop(): a lost session is opened again, with jittered back-off. */
  private wanted = false;
  private readonly backoff = new Backoff(FIRST_RETRY_MS, MAX_RETRY_MS);
  private cancelRetry: (() => void) | null = null;
  private readonly clock: Clock;

  constructor(private readonly o: VirtualPrinterOptions) {
    this.clock = o.clock ?? systemClock;
    this.settings = new CloudPrintSettings(
      {
        sendAccepting: (acceptingJobs, status) => this.setState(status ? { acceptingJobs, status } : { acceptingJobs }),
        connect: () => this.connect(),
        disconnect: () => this.stop(),
      },
      this.clock,
      o.policy,
      o.stopDelayMs,
    );
    this.tonerPercent = o.toner?.percent ?? 100;
  }

  get deviceId(): string {
    return this.o.credentials.deviceId;
  }

  /** Holds a bound session with the relay now. */
  get connected(): boolean {
    return this.client !== null && !this.client.ended && this.client.jid !== null;
  }

  get hasToner(): boolean {
    return this.o.toner !== undefined;
  }

  /** The job in hand and what is being done with it. */
  get activity(): { jobId: string; phase: Current['phase'] } | null {
    return this.current && { jobId: this.current.jobId, phase: this.current.phase };
  }

  /** Enable (seed 003 T112–T124): connect, then acceptance with the status. */
  async start(status = 'idle'): Promise<void> {
    await this.settings.enable(status);
  }

  /** The toner one job is expected to use: the average of past jobs, else the stored estimate. */
  get tonerPerJobPercent(): number {
    const h = this.tonerPerJob;
    return h.length ? h.reduce((a, b) => a + b, 0) / h.length : (this.o.toner?.estimatePercent ?? 5);
  }

  /** A new cartridge (T664): accept again (T670) and resume the interrupted job (T674). */
  async replaceCartridge(): Promise<void> {
    this.tonerPercent = 100;
    const status = this.current ? 'printing' : 'idle';
    if (this.settings.resourceShort) await this.settings.resourcesRestored(status);
    else await this.setState({ status });
    if (this.current?.phase === 'interrupted') this.current.wake?.();
  }

  /**
   * Opens the constant connection (seed 003 T120): an XMPP session over BOSH, kept until stop().
   * A session the relay ends or the network loses (a relay restart) is opened again with jittered
   * back-off, as the MFPs do; the first attempt's failure is the caller's.
   */
  async connect(): Promise<void> {
    this.wanted = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
    try {
      await this.openSession();
    } catch (err) {
      this.wanted = false; // a failed enable leaves the printer as it was
      throw err;
    }
  }

  private async openSession(): Promise<void> {
    const old = this.client;
    if (old && !old.ended) await old.terminate();
    const client: BoshClient = new BoshClient({
      url: `${this.o.relayUrl}/http-bind`,
      domain: this.o.domain,
      wait: 10,
      onStanza: (s) => this.onStanza(s),
      onEnd: () => {
        if (client !== this.client) return;
        this.o.onEvent?.('session-ended', this.deviceId);
        this.retryLater();
      },
    });
    this.client = client;
    await client.open(this.o.credentials.deviceId, this.o.credentials.token, 'printer');
    this.backoff.reset();
  }

  private retryLater(err?: unknown): void {
    if (!this.wanted || this.cancelRetry) return;
    const delay = this.backoff.next(err);
    this.cancelRetry = this.clock.after(delay, () => {
      this.cancelRetry = null;
      if (!this.wanted) return;
      void this.openSession().then(
        () => this.o.onEvent?.('reconnected', this.deviceId),
        (e: unknown) => this.retryLater(e),
      );
    });
  }

  async stop(): Promise<void> {
    this.wanted = false;
    this.cancelRetry?.();
    this.cancelRetry = null;
    if (this.current) this.current.stop = true;
    this.current?.download?.destroy();
    this.current?.wake?.();
    await this.client?.terminate();
    this.client = null;
  }

  /** Acceptance / acceptance-stop and status (seed 003). */
  async setState(s: { acceptingJobs?: boolean; status?: string }): Promise<void> {
    const r = await httpPost(`${this.o.relayUrl}${DEVICE_HTTP}/printer/state`, JSON.stringify(s), this.headers(), { timeoutMs: 10_000 });
    if (r.status !== 200) throw new Error(`printer state refused: ${r.status} ${r.body}`);
    if (s.acceptingJobs !== undefined) this.accepting = s.acceptingJobs;
    if (s.status !== undefined) this.status = s.status;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.o.credentials.token}`, 'content-type': 'application/json', connection: 'close' };
  }

  /**
   * A job notice (seed 002 S206, seed 003 T144) queues the job. A pushed cancel (S207) stops the
   * download or the print and drops the job (S305), and is answered (S304): canceled, not
   * printing, or cannot.
   */
  private onStanza(s: Parameters<NonNullable<ConstructorParameters<typeof BoshClient>[0]['onStanza']>>[0]): void {
    const m = decodePrintStanza(s);
    if (!m) return;
    if (m.kind === 'job') {
      this.o.onEvent?.('notified', m.jobId);
      if (this.o.toner) void this.settings.checkResources(this.tonerPercent, this.tonerPerJobPercent).catch(() => undefined);
      if (this.current?.jobId !== m.jobId && !this.queue.includes(m.jobId)) this.queue.push(m.jobId);
      if (!this.current) void this.next();
      return;
    }
    const c = this.current?.jobId === m.jobId ? this.current : null;
    const queued = this.queue.indexOf(m.jobId);
    if (this.o.canCancel === false && c) return void this.client?.send(cancelResultIq(m.requestId, m.jobId, 'cannot'));
    if (c) {
      c.stop = true;
      c.download?.destroy();
      c.wake?.();
      this.o.onEvent?.('canceled', m.jobId);
      this.client?.send(cancelResultIq(m.requestId, m.jobId, 'canceled'));
    } else {
      if (queued >= 0) this.queue.splice(queued, 1);
      this.client?.send(cancelResultIq(m.requestId, m.jobId, 'not-printing'));
    }
  }

  /** The next job, once the printer is idle (S303): fetch its document, print it page by page (T150), report progress and completion. */
  private async next(): Promise<void> {
    const jobId = this.queue.shift();
    if (!jobId) return;
    const c: Current = { jobId, phase: 'downloading', download: null, stop: false, wake: null };
    this.current = c;
    try {
      const { copies, ranges } = await this.ticket(jobId);
      const doc = await this.download(c);
      if (c.stop) return;
      c.phase = 'printing';
      await this.report(jobId, 'processing');
      if (this.status !== 'printing') await this.setState({ status: 'printing' }).catch(() => undefined);
      // A PDF's page objects; for other documents (and PDFs we cannot read) a page per 4 KiB.
      const pages = pagesIn(doc.pdfPages || Math.max(1, Math.ceil(doc.bytes / 4096)), ranges);
      const sheets = pages * copies;
      let used = 0;
      for (let p = 0; p < sheets && !c.stop; p++) {
        if (!(await this.tonerFor(c))) break;
        await new Promise((r) => setTimeout(r, this.o.pageMs ?? 5));
        if (this.o.toner) {
          this.tonerPercent = Math.max(0, this.tonerPercent - this.o.toner.perPagePercent);
          used += this.o.toner.perPagePercent;
        }
      }
      if (c.stop) return;
      if (this.o.toner) {
        this.tonerPerJob.push(used);
        if (this.tonerPerJob.length > TONER_HISTORY) this.tonerPerJob.shift();
      }
      await this.report(jobId, 'completed', pagesPrinted(pages, copies));
      this.printed.push(jobId);
      this.o.onEvent?.('completed', jobId);
    } catch (err) {
      this.o.onEvent?.(c.stop ? 'canceled-while-fetching' : `failed: ${String(err)}`, jobId);
    } finally {
      this.current = null;
      if (!this.queue.length && this.status === 'printing') await this.setState({ status: 'idle' }).catch(() => undefined);
      void this.next();
    }
  }

  /** Toner for one more page; when out, the print is interrupted (T662) until a new cartridge or a cancel. */
  private async tonerFor(c: Current): Promise<boolean> {
    const need = this.o.toner?.perPagePercent ?? 0;
    if (this.tonerPercent >= need) return true;
    c.phase = 'interrupted';
    this.o.onEvent?.('interrupted', c.jobId);
    await this.setState({ status: 'toner empty' }).catch(() => undefined);
    // Checked again after each wake-up: a replacement or cancel may have come while the status was sent.
    while (this.tonerPercent < need && !c.stop) await new Promise<void>((wake) => (c.wake = wake));
    c.wake = null;
    if (c.stop) return false;
    c.phase = 'printing';
    this.o.onEvent?.('resumed', c.jobId);
    return true;
  }

  /** The job's ticket says how many copies, and which pages (seed 002 S302: the printer fetches the job information first). */
  private async ticket(jobId: string): Promise<{ copies: number; ranges: [number, number][] | null }> {
    const res = await fetch(`${this.o.relayUrl}${jobHref(jobId)}`, { headers: { authorization: `Bearer ${this.o.credentials.token}` }, signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`job information: HTTP ${res.status}`);
    const t = ((await res.json()) as { ticket?: { copies?: unknown; 'page-ranges'?: unknown } }).ticket;
    const copies = Number.isInteger(t?.copies) && (t!.copies as number) > 0 ? (t!.copies as number) : 1;
    return { copies, ranges: Array.isArray(t?.['page-ranges']) ? (t['page-ranges'] as [number, number][]) : null };
  }

  private download(c: Current): Promise<{ bytes: number; pdfPages: number }> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.o.relayUrl}${jobHref(c.jobId)}/document`, { headers: { authorization: `Bearer ${this.o.credentials.token}` } });
      c.download = req;
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`document: HTTP ${res.statusCode}`));
        }
        this.o.onEvent?.('downloading', c.jobId);
        let n = 0;
        const pages = String(res.headers['content-type']).startsWith('application/pdf') ? new PdfPageCounter() : null;
        res.on('data', (chunk: Buffer) => {
          n += chunk.length;
          pages?.feed(chunk);
          const rate = this.o.bytesPerSecond;
          if (rate) {
            res.pause();
            setTimeout(() => res.resume(), (chunk.length / rate) * 1000);
          }
        });
        res.on('end', () => resolve({ bytes: n, pdfPages: pages?.end() ?? 0 }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('aborted')));
      });
      req.on('error', reject);
      req.end();
    });
  }

  private async report(jobId: string, state: string, detail?: string): Promise<void> {
    await httpPost(`${this.o.relayUrl}${jobHref(jobId)}/state`, JSON.stringify({ state, ...(detail ? { detail } : {}) }), this.headers(), { timeoutMs: 10_000 });
  }
}

/** "1 page", "3 pages", "6 pages (3 pages × 2 copies)". */
/** Pages of a `pages`-page document within the ticket's page-ranges (all of them without ranges). */
export function pagesIn(pages: number, ranges: [number, number][] | null): number {
  if (!ranges) return pages;
  return ranges.reduce((n, [first, last]) => n + Math.max(0, Math.min(last, pages) - first + 1), 0);
}

export function pagesPrinted(pages: number, copies: number): string {
  const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
  return copies === 1 ? n(pages, 'page', 'pages') : `${n(pages * copies, 'page', 'pages')} (${n(pages, 'page', 'pages')} × ${n(copies, 'copy', 'copies')})`;
}

/**
 * Counts a PDF's page objects (`/Type /Page`, not `/Pages`) as it streams by, without holding it:
 * a little of each chunk is kept so a name cut between two chunks is still seen, once.
 */
export class PdfPageCounter {
  private static readonly PAGE = /\/Type\s{0,8}\/Page(?![A-Za-z])/g;
  private tail = '';
  /** Stream offset of the tail's first character, and of the last page object counted. */
  private tailAt = 0;
  private lastAt = -1;
  private pages = 0;

  feed(chunk: Buffer, final = false): void {
    const text = this.tail + chunk.toString('latin1');
    for (const m of text.matchAll(PdfPageCounter.PAGE)) {
      const at = this.tailAt + m.index;
      if (at <= this.lastAt) continue;
      if (!final && m.index + m[0].length >= text.length) continue; // /Page or /Pages: the next chunk tells
      this.lastAt = at;
      this.pages++;
    }
    const keep = Math.min(64, text.length);
    this.tailAt += text.length - keep;
    this.tail = text.slice(text.length - keep);
  }

  end(): number {
    this.feed(Buffer.alloc(0), true);
    return this.pages;
  }
}
