import { deviceAgent } from '../sdk/http.js';
import { writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FaxConnection, type FaxEndpoint } from '../sdk/fax-client.js';
import { sendDocument } from '../sdk/fax-document.js';
import { FaxMachine } from '../sdk/fax-machine.js';
import { VirtualPrinter } from './printer.js';
import { IppPrinter } from './ipp-printer.js';
import type { DisablePolicy } from '../sdk/cloud-print-settings.js';
import { PrinterWebServer } from './printer-web.js';
import { ManagementAgent } from './management-agent.js';
import { PrinterMib } from './printer-mib.js';
import type { DeviceCredentials } from '../sdk/registration.js';
import { VirtualDevice } from './virtual-device.js';

export interface SimulatedDevice extends DeviceCredentials {
  serial: string;
  model: string;
  vendorPublicKey?: string;
  /** The MFP's fax line: its fax user at the relay. */
  fax?: { user: string; password: string };
}

export interface SimulatorOptions {
  relayUrl: string;
  domain: string;
  devices: SimulatedDevice[];
  answerVia?: 'session' | 'http';
  survivalMs?: number;
  wait?: number;
  /** The MFPs' XMPP transport: BOSH (default) or WebSocket. */
  transport?: 'bosh' | 'websocket';
  /** Spread devices over these source addresses (e.g. 127.0.0.2–127.0.0.9). */
  localAddresses?: string[];
  /** What each MFP does (session, session-failed, session-ended, push, …), for load tests that count them. */
  onEvent?: (event: string, detail?: unknown) => void;
  /** Each MFP its own keep-alive connections, as real devices have, instead of one pool shared by all (whose sockets pass from device to device). */
  agentPerDevice?: boolean;
  /** Sessions opened at once while starting, so a large fleet does not stampede the relay. */
  startConcurrency?: number;
  /** Remote management (seed 004): each device prints this many pages a minute and reports what follows. */
  pagesPerMinute?: number;
  /** With pagesPerMinute: chance a page jams. */
  jamProbability?: number;
  /** Cloud printers (seeds 002, 003) instead of push-answering MFPs: they accept jobs, fetch and print them. */
  cloudPrint?: {
    /** Printers that fetch over IPP INFRA (Get-Notifications, Fetch-Job, Fetch-Document…) instead of holding an XMPP session. */
    ipp?: boolean;
    canCancel?: boolean;
    pageMs?: number;
    /** Seed 003 embodiments, given to the printers in turn. */
    policies?: DisablePolicy[];
    stopDelayMs?: number;
    toner?: { percent?: number; perPagePercent: number };
    /** Serve the printers' web pages (settings SC1/SC5, completion SC2, inquiry SC4) here. */
    web?: { port: number; host?: string };
  };
  /** Fax lines (seed 001): devices with fax users stay logged in and receive; one sends a fax every `sendEveryMs`. */
  fax?: { endpoint: FaxEndpoint; inbox: string; sendEveryMs?: number; onFax?: (e: { from: string; to: string; ok: boolean; detail: string }) => void };
}

/**
 * Many virtual MFPs in one process, sharing one keep-alive HTTP agent: each holds one socket
 * for its held BOSH request, a second briefly when it has something to send.
 */
export class Simulator {
  readonly devices: VirtualDevice[];
  readonly printers: VirtualPrinter[];
  /** Cloud printers over IPP INFRA (cloudPrint.ipp). */
  readonly ippPrinters: IppPrinter[] = [];
  private web: PrinterWebServer | null = null;
  /** Where the printers' web pages are, once started with cloudPrint.web. */
  webUrl: string | null = null;
  readonly agents: ManagementAgent[] = [];
  private printing: NodeJS.Timeout | null = null;
  readonly faxMachines: FaxMachine[] = [];
  private faxing: NodeJS.Timeout | null = null;
  faxesSent = 0;
  faxesReceived = 0;
  private readonly agent = deviceAgent({ maxSockets: Infinity, maxFreeSockets: 100_000, scheduling: 'lifo' });

  constructor(private readonly o: SimulatorOptions) {
    if (o.cloudPrint?.ipp) {
      this.ippPrinters = o.devices.map((d) => new IppPrinter({ relayUrl: o.relayUrl, credentials: d, pageMs: o.cloudPrint!.pageMs }));
      this.printers = [];
      this.devices = [];
      return;
    }
    if (o.cloudPrint) {
      const { canCancel, pageMs, policies, stopDelayMs, toner } = o.cloudPrint;
      this.printers = o.devices.map(
        (d, i) =>
          new VirtualPrinter({ relayUrl: o.relayUrl, domain: o.domain, credentials: d, canCancel, pageMs, policy: policies?.[i % policies.length], stopDelayMs, toner }),
      );
      this.devices = [];
      return;
    }
    this.printers = [];
    this.devices = o.devices.map((d, i) => {
      const mib = new PrinterMib({ model: d.model, serial: d.serial });
      if (o.pagesPerMinute)
        this.agents.push(
          new ManagementAgent({ relayUrl: o.relayUrl, token: d.token, mib, firmwareVersion: '1.0', vendorPublicKey: d.vendorPublicKey, jamProbability: o.jamProbability }),
        );
      return new VirtualDevice({
          relayUrl: o.relayUrl,
          domain: o.domain,
          credentials: { deviceId: d.deviceId, token: d.token },
          mib,
          answerVia: o.answerVia,
          survivalMs: o.survivalMs,
          wait: o.wait,
          transport: o.transport,
          agent: o.agentPerDevice ? deviceAgent({ maxSockets: 2 }) : this.agent,
          localAddress: o.localAddresses?.length ? o.localAddresses[i % o.localAddresses.length] : undefined,
          onEvent: o.onEvent,
        });
    });
  }

  get connected(): number {
    return [...this.devices, ...this.printers, ...this.ippPrinters].filter((d) => d.connected).length;
  }

  get answered(): number {
    return this.devices.reduce((n, d) => n + d.answered, 0);
  }

  async start(onProgress?: (started: number) => void): Promise<void> {
    const units: { start(): Promise<void> }[] = [...this.devices, ...this.printers, ...this.ippPrinters];
    let next = 0;
    let started = 0;
    const worker = async (): Promise<void> => {
      while (next < units.length) {
        const u = units[next++]!;
        await u.start();
        if (++started % 500 === 0) onProgress?.(started);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.startConcurrency ?? 50, units.length) }, worker));
    if (this.agents.length) this.startPrinting();
    const web = this.o.cloudPrint?.web;
    if (web) {
      this.web = new PrinterWebServer(this.printers);
      this.webUrl = await this.web.listen(web.port, web.host);
    }
    if (this.o.fax) await this.startFax(this.o.fax);
  }

  /** Every MFP with a fax user listens; received faxes are counted, then deleted so a long run does not fill the disk. */
  private async startFax(o: NonNullable<SimulatorOptions['fax']>): Promise<void> {
    const lines = this.o.devices.filter((d) => d.fax);
    for (const d of lines) {
      const m = new FaxMachine({ endpoint: o.endpoint, user: d.fax!.user, password: d.fax!.password, inbox: o.inbox });
      m.on('document', (doc) => {
        this.faxesReceived++;
        void unlink(doc.path).catch(() => undefined);
      });
      m.on('problem', () => undefined);
      await m.start();
      this.faxMachines.push(m);
    }
    if (!o.sendEveryMs || lines.length < 2) return;
    // A one-page fax: a small TIFF header and some image bytes.
    const page = join(o.inbox, '.sim-page.tif');
    writeFileSync(page, Buffer.concat([Buffer.from('II*\0'), Buffer.alloc(20_000, 0xaa)]));
    this.faxing = setInterval(() => {
      const from = lines[Math.floor(Math.random() * lines.length)]!.fax!;
      let to = from;
      while (to === from) to = lines[Math.floor(Math.random() * lines.length)]!.fax!;
      void this.sendFax(o.endpoint, from, to.user, page).then(
        (size) => {
          this.faxesSent++;
          o.onFax?.({ from: from.user, to: to.user, ok: true, detail: `${size} bytes confirmed` });
        },
        (e: unknown) => o.onFax?.({ from: from.user, to: to.user, ok: false, detail: e instanceof Error ? e.message : String(e) }),
      );
    }, o.sendEveryMs);
    this.faxing.unref();
  }

  private async sendFax(endpoint: FaxEndpoint, from: { user: string; password: string }, to: string, file: string): Promise<number> {
    const c = await FaxConnection.open(endpoint, from.user, from.password);
    try {
      await c.call(to);
      const r = await sendDocument(c, file, { name: 'page.tif' });
      c.terminate();
      c.release();
      return r.size;
    } finally {
      c.end();
    }
  }

  /** Every few seconds a tenth of the devices print their share; toner low, jams and counters follow. */
  private startPrinting(): void {
    for (const a of this.agents) a.start();
    const tickMs = 6000;
    let turn = 0;
    this.printing = setInterval(() => {
      const pages = Math.max(1, Math.round(((this.o.pagesPerMinute ?? 0) * tickMs * 10) / 60_000));
      for (let i = turn++ % 10; i < this.agents.length; i += 10) void this.agents[i]!.print(pages).catch(() => undefined);
    }, tickMs);
    this.printing.unref();
  }

  async stop(): Promise<void> {
    if (this.printing) clearInterval(this.printing);
    if (this.faxing) clearInterval(this.faxing);
    await this.web?.close();
    await Promise.all(this.faxMachines.map((m) => m.stop()));
    for (const a of this.agents) a.stop();
    await Promise.all([...this.devices, ...this.printers, ...this.ippPrinters].map((d) => d.stop().catch(() => undefined)));
    this.agent.destroy();
  }
}
