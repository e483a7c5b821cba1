import type { Readable } from 'node:stream';
import { deviceUuid, OPERATION, STATUS } from '../../domain/ipp.js';
import { attr, GROUP, TAG, type IppAttribute, type IppMessage } from '../../protocol/ipp/codec.js';
import { IppDeviceClient } from '../sdk/ipp-client.js';
import type { DeviceCredentials } from '../sdk/registration.js';
import { pagesIn, pagesPrinted, PdfPageCounter } from './printer.js';

export interface IppPrinterOptions {
  relayUrl: string;
  credentials: DeviceCredentials;
  /** Time to print a page. */
  pageMs?: number;
  /** Download speed limit in bytes per second (to cancel mid-download in tests); none by default. */
  bytesPerSecond?: number;
  onEvent?: (event: string, jobId: number) => void;
}

const int = (name: string, ...values: number[]): IppAttribute => ({ name, values: values.map((value) => ({ tag: TAG.integer, value })) });
const enumOf = (name: string, value: number): IppAttribute => ({ name, values: [{ tag: TAG.enum, value }] });
const kw = (name: string, value: string): IppAttribute => ({ name, values: [{ tag: TAG.keyword, value }] });
/** Job states an output device reports (RFC 8011 §5.3.7). */
const JOB = { processing: 5, canceled: 7, aborted: 8, completed: 9 } as const;
/** How long to wait after a failed poll before the next. */
const RETRY_MS = 1000;

interface Current {
  jobId: number;
  download: Readable | null;
  stop: boolean;
}

/**
 * A cloud printer that fetches over IPP INFRA (PWG 5100.18) instead of holding an XMPP session:
 * it says it accepts jobs (Update-Output-Device-Attributes), subscribes to its printer's events and
 * long-polls them (Get-Notifications with notify-wait); for each job to fetch it takes the job
 * (Fetch-Job, Acknowledge-Job), downloads its document (Fetch-Document), prints it page by page and
 * reports (Update-Job-Status). Canceled at the relay, the job's download is cut short or its
 * printing stopped (seed 002 C0/C5: the relay asks no question of a printer without a session),
 * and the printer learns it from the job-state-changed event.
 */
export class IppPrinter {
  private readonly client: IppDeviceClient;
  private readonly queue: number[] = [];
  private readonly seen = new Set<number>();
  private current: Current | null = null;
  private running = false;
  private polling: Promise<void> | null = null;
  readonly printed: number[] = [];

  constructor(private readonly o: IppPrinterOptions) {
    this.client = new IppDeviceClient({ printerUrl: `${o.relayUrl}/ipp/print/${o.credentials.deviceId}`, deviceId: o.credentials.deviceId, token: o.credentials.token });
  }

  get deviceId(): string {
    return this.o.credentials.deviceId;
  }

  /** Subscribed and polling (there is no session to hold). */
  get connected(): boolean {
    return this.running;
  }

  /** Accepting jobs, subscribed, and polling; the first failure is the caller's. */
  async start(status = 'idle'): Promise<void> {
    await this.expectOk(
      await this.client.ask(OPERATION.updateOutputDeviceAttributes, [this.uuid()], [
        { tag: GROUP.printer, attributes: [enumOf('printer-state', 3), { name: 'printer-is-accepting-jobs', values: [{ tag: TAG.boolean, value: true }] }, { name: 'printer-state-message', values: [{ tag: TAG.textWithoutLanguage, value: status }] }] },
      ]),
    );
    const sub = await this.client.ask(OPERATION.createPrinterSubscriptions, [], [{ tag: GROUP.subscription, attributes: [kw('notify-pull-method', 'ippget'), kw('notify-events', 'job-fetchable'), int('notify-lease-duration', 0)] }]);
    this.expectOk(sub);
    const id = IppDeviceClient.value(sub, 'notify-subscription-id', GROUP.subscription);
    if (typeof id !== 'number') throw new Error('no notify-subscription-id in the answer');
    this.running = true;
    this.polling = this.poll(id);
  }

  /** Stops polling and printing, and deregisters (the relay then has it not accepting jobs). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.current) this.current.stop = true;
    this.current?.download?.destroy();
    this.client.close();
    await this.polling;
    await this.client.ask(OPERATION.deregisterOutputDevice, [this.uuid()]).catch(() => undefined);
  }

  private async poll(subscription: number): Promise<void> {
    let next = subscription;
    while (this.running) {
      try {
        const m = await this.client.ask(OPERATION.getNotifications, [int('notify-subscription-ids', subscription), int('notify-sequence-numbers', next), { name: 'notify-wait', values: [{ tag: TAG.boolean, value: true }] }], [], 40_000);
        this.expectOk(m);
        for (const e of m.groups.filter((g) => g.tag === GROUP.eventNotification)) {
          const get = (name: string) => e.attributes.find((a) => a.name === name)?.values[0]?.value;
          next = Math.max(next, Number(get('notify-sequence-number')) + 1);
          this.onEvent(String(get('notify-subscribed-event')), Number(get('job-id')), Number(get('job-state')));
        }
      } catch {
        if (this.running) await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private onEvent(event: string, jobId: number, state: number): void {
    if (event === 'job-fetchable' && !this.seen.has(jobId)) {
      this.seen.add(jobId);
      this.o.onEvent?.('notified', jobId);
      this.queue.push(jobId);
      if (!this.current) void this.next();
      return;
    }
    if (state !== JOB.canceled && state !== JOB.aborted) return;
    const queued = this.queue.indexOf(jobId);
    if (queued >= 0) this.queue.splice(queued, 1);
    const c = this.current?.jobId === jobId ? this.current : null;
    if (!c || c.stop) return;
    c.stop = true;
    c.download?.destroy();
    this.o.onEvent?.('canceled', jobId);
  }

  /** The next job: take it, fetch its document, print it, report. */
  private async next(): Promise<void> {
    const jobId = this.queue.shift();
    if (jobId === undefined || !this.running) return;
    const c: Current = { jobId, download: null, stop: false };
    this.current = c;
    const job = [int('job-id', jobId), this.uuid()];
    try {
      const fetched = await this.client.ask(OPERATION.fetchJob, job);
      if (fetched.code === STATUS.notFetchable || fetched.code === STATUS.notFound) return this.o.onEvent?.('not-fetchable', jobId);
      this.expectOk(fetched);
      const copies = Number(IppDeviceClient.value(fetched, 'copies', GROUP.job) ?? 1);
      const ranges = attr(fetched, GROUP.job, 'page-ranges')?.values.map((v) => {
        const r = v.value as { lower: number; upper: number };
        return [r.lower, r.upper] as [number, number];
      });
      this.expectOk(await this.client.ask(OPERATION.acknowledgeJob, job));
      const doc = await this.download(c, job);
      if (c.stop) return;
      this.expectOk(await this.client.ask(OPERATION.acknowledgeDocument, [...job, int('document-number', 1)]));
      await this.report(jobId, JOB.processing);
      const pages = pagesIn(doc.pdfPages || Math.max(1, Math.ceil(doc.bytes / 4096)), ranges ?? null);
      for (let p = 0; p < pages * copies && !c.stop; p++) await new Promise((r) => setTimeout(r, this.o.pageMs ?? 5));
      if (c.stop) return;
      await this.report(jobId, JOB.completed);
      this.printed.push(jobId);
      this.o.onEvent?.(`completed ${pagesPrinted(pages, copies)}`, jobId);
    } catch (err) {
      this.o.onEvent?.(c.stop ? 'canceled-while-fetching' : `failed: ${String(err)}`, jobId);
    } finally {
      this.current = null;
      void this.next();
    }
  }

  private async download(c: Current, job: IppAttribute[]): Promise<{ bytes: number; pdfPages: number }> {
    const a = await this.client.call(OPERATION.fetchDocument, [...job, int('document-number', 1)]);
    if (a.message.code !== STATUS.ok) {
      a.document.destroy();
      throw new Error(`Fetch-Document: status 0x${a.message.code.toString(16)}`);
    }
    const pdf = IppDeviceClient.value(a.message, 'document-format', GROUP.document) === 'application/pdf' ? new PdfPageCounter() : null;
    c.download = a.document;
    if (c.stop) a.document.destroy();
    this.o.onEvent?.('downloading', c.jobId);
    let bytes = 0;
    for await (const chunk of a.document) {
      bytes += (chunk as Buffer).length;
      pdf?.feed(chunk as Buffer);
      if (this.o.bytesPerSecond) await new Promise((r) => setTimeout(r, ((chunk as Buffer).length / this.o.bytesPerSecond!) * 1000));
    }
    if (!a.document.readableEnded) throw new Error('the document was cut short');
    return { bytes, pdfPages: pdf?.end() ?? 0 };
  }

  private async report(jobId: number, state: number): Promise<void> {
    this.expectOk(await this.client.ask(OPERATION.updateJobStatus, [int('job-id', jobId), this.uuid()], [{ tag: GROUP.job, attributes: [enumOf('output-device-job-state', state)] }]));
  }

  /** INFRA names the output device by a UUID; the relay knows it by its token, so any stable one does. */
  private uuid(): IppAttribute {
    return { name: 'output-device-uuid', values: [{ tag: TAG.uri, value: `urn:uuid:${deviceUuid(this.deviceId)}` }] };
  }

  private expectOk(m: IppMessage): void {
    if (m.code > STATUS.okIgnoredOrSubstituted) throw new Error(`IPP status 0x${m.code.toString(16).padStart(4, '0')}: ${String(IppDeviceClient.value(m, 'status-message') ?? '')}`);
  }
}
