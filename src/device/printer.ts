import { request, type ClientRequest } from 'node:http';
import { cancelResultIq, decodePrintStanza } from '../transports/xmpp/messages.js';
import { BoshClient } from './bosh-client.js';
import { httpPost } from './http.js';
import type { DeviceCredentials } from './virtual-device.js';
import { CloudPrintSettings, type DisablePolicy } from './cloud-print-settings.js';
import { systemClock, type Clock } from '../domain/clock.js';

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
  onEvent?: (event: string, jobId: string) => void;
}

interface Current {
  jobId: string;
  phase: 'downloading' | 'printing';
  download: ClientRequest | null;
  stop: boolean;
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

  constructor(private readonly o: VirtualPrinterOptions) {}

  async start(status = 'idle'): Promise<void> {
    await this.connect();
    await this.setState({ acceptingJobs: true, status });
  }

  /** The printer's cloud-print settings (seed 003 embodiments), acting through this printer. */
  settings(policy: DisablePolicy = 'always', clock: Clock = systemClock, delayMs?: number): CloudPrintSettings {
    return new CloudPrintSettings(
      {
        sendAccepting: (acceptingJobs, status) => this.setState(status ? { acceptingJobs, status } : { acceptingJobs }),
        connect: () => this.connect(),
        disconnect: () => this.stop(),
      },
      clock,
      policy,
      delayMs,
    );
  }

  /** The constant connection (seed 003 T120). */
  async connect(): Promise<void> {
    this.client = new BoshClient({
      url: `${this.o.relayUrl}/http-bind`,
      domain: this.o.domain,
      wait: 10,
      onStanza: (s) => this.onStanza(s),
      onEnd: () => undefined,
    });
    await this.client.open(this.o.credentials.deviceId, this.o.credentials.token, 'printer');
  }

  async stop(): Promise<void> {
    if (this.current) this.current.stop = true;
    this.current?.download?.destroy();
    await this.client?.terminate();
    this.client = null;
  }

  /** Acceptance / acceptance-stop and status (seed 003). */
  async setState(s: { acceptingJobs?: boolean; status?: string }): Promise<void> {
    const r = await httpPost(`${this.o.relayUrl}/device/v1/printer/state`, JSON.stringify(s), this.headers(), { timeoutMs: 10_000 });
    if (r.status !== 200) throw new Error(`printer state refused: ${r.status} ${r.body}`);
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.o.credentials.token}`, 'content-type': 'application/json', connection: 'close' };
  }

  private onStanza(s: Parameters<NonNullable<ConstructorParameters<typeof BoshClient>[0]['onStanza']>>[0]): void {
    const m = decodePrintStanza(s);
    if (!m) return;
    if (m.kind === 'job') {
      this.o.onEvent?.('notified', m.jobId);
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
      this.o.onEvent?.('canceled', m.jobId);
      this.client?.send(cancelResultIq(m.requestId, m.jobId, 'canceled'));
    } else {
      if (queued >= 0) this.queue.splice(queued, 1);
      this.client?.send(cancelResultIq(m.requestId, m.jobId, 'not-printing'));
    }
  }

  private async next(): Promise<void> {
    const jobId = this.queue.shift();
    if (!jobId) return;
    const c: Current = { jobId, phase: 'downloading', download: null, stop: false };
    this.current = c;
    try {
      const bytes = await this.download(c);
      if (c.stop) return;
      c.phase = 'printing';
      await this.report(jobId, 'processing');
      const pages = Math.max(1, Math.ceil(bytes / 4096));
      for (let p = 0; p < pages && !c.stop; p++) await new Promise((r) => setTimeout(r, this.o.pageMs ?? 5));
      if (c.stop) return;
      await this.report(jobId, 'completed', `${pages} pages`);
      this.printed.push(jobId);
      this.o.onEvent?.('completed', jobId);
    } catch (err) {
      this.o.onEvent?.(c.stop ? 'canceled-while-fetching' : `failed: ${String(err)}`, jobId);
    } finally {
      this.current = null;
      void this.next();
    }
  }

  private download(c: Current): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.o.relayUrl}/device/v1/jobs/${c.jobId}/document`, { headers: { authorization: `Bearer ${this.o.credentials.token}` } });
      c.download = req;
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`document: HTTP ${res.statusCode}`));
        }
        this.o.onEvent?.('downloading', c.jobId);
        let n = 0;
        res.on('data', (chunk: Buffer) => {
          n += chunk.length;
          const rate = this.o.bytesPerSecond;
          if (rate) {
            res.pause();
            setTimeout(() => res.resume(), (chunk.length / rate) * 1000);
          }
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('aborted')));
      });
      req.on('error', reject);
      req.end();
    });
  }

  private async report(jobId: string, state: string, detail?: string): Promise<void> {
    await httpPost(`${this.o.relayUrl}/device/v1/jobs/${jobId}/state`, JSON.stringify({ state, ...(detail ? { detail } : {}) }), this.headers(), { timeoutMs: 10_000 });
  }
}
