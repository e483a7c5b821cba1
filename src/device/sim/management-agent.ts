import { checkFirmware } from '../sdk/firmware.js';
import { OID, type PrinterMib } from './printer-mib.js';
import { JamRule, nextWeekly, sendReport, type DeviceReport, type ReportReply } from '../sdk/remote-service.js';

export interface AgentOptions {
  relayUrl: string;
  token: string;
  mib: PrinterMib;
  vendorPublicKey?: string;
  firmwareVersion: string;
  /** Chance that a page jams. */
  jamProbability?: number;
  jamRule?: JamRule;
  /** Toner at or below this percentage is "low" (seed 004 state 1). */
  tonerLowPercent?: number;
  /** Share of pages printed in colour. */
  colourShare?: number;
  now?: () => number;
  random?: () => number;
  onReply?: (report: DeviceReport, reply: ReportReply) => void;
}

const TONER = 1;

/**
 * The device side of seed 004: it watches its own state and reports the preset states —
 * toner low (341) and toner bottle to replace (531) as supplies drain, predicted feed failure
 * when jams exceed the rule, counters and firmware checks on a weekly schedule and at power-on
 * — and applies verified firmware, bumping its version.
 */
export class ManagementAgent {
  private mono = 0;
  private colour = 0;
  private sent = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  firmwareVersion: string;

  constructor(private readonly o: AgentOptions) {
    this.firmwareVersion = o.firmwareVersion;
  }

  private get now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Prints pages: counters rise, supplies drain, pages may jam; reports what that causes. */
  async print(pages: number): Promise<void> {
    const random = this.o.random ?? Math.random;
    const rule = (this.o.jamRule ??= new JamRule(3, 3600_000));
    for (let i = 0; i < pages; i++) {
      if (random() < (this.o.jamProbability ?? 0)) {
        this.o.mib.raiseAlert({ severity: 3, group: 13, code: 8, description: 'paper jam' });
        if (rule.jam(this.now)) await this.report({ kind: 'error', namespace: 'mib-alert', code: '8' });
      }
    }
    this.o.mib.print(pages);
    const colour = Math.round(pages * (this.o.colourShare ?? 0.3));
    this.colour += colour;
    this.mono += pages - colour;
    const [level, max] = this.o.mib.get([OID.supplyLevel(TONER), OID.supplyMaxCapacity(TONER)]).map((o) => ('value' in o ? Number(o.value) : 0)) as [number, number];
    // Empty is also low: a job that drains the bottle past both thresholds reports both.
    if ((level / max) * 100 <= (this.o.tonerLowPercent ?? 10)) await this.once('341', { kind: 'error', code: '341' });
    if (level === 0) await this.once('531', { kind: 'error', code: '531' });
  }

  /** A new toner bottle: the conditions clear. */
  async replaceToner(): Promise<void> {
    this.o.mib.refill(TONER);
    for (const code of ['341', '531']) if (this.sent.delete(code)) await this.report({ kind: 'cleared', code });
  }

  async reportCounters(): Promise<ReportReply> {
    return this.report({ kind: 'counters', total: this.mono + this.colour, mono: this.mono, colour: this.colour });
  }

  /** Checks for firmware; applies a verified program and tells the relay the version it now runs. */
  async updateFirmware(): Promise<'none' | 'applied' | 'refused'> {
    if (!this.o.vendorPublicKey) return 'none';
    const out = await checkFirmware({ relayUrl: this.o.relayUrl, token: this.o.token, currentVersion: this.firmwareVersion, vendorPublicKey: this.o.vendorPublicKey });
    if (out.kind !== 'applied') return out.kind;
    this.firmwareVersion = out.version;
    await checkFirmware({ relayUrl: this.o.relayUrl, token: this.o.token, currentVersion: this.firmwareVersion, vendorPublicKey: this.o.vendorPublicKey });
    return 'applied';
  }

  /** Power-on: counters and firmware now, then every Monday at 10:00 (UTC), and a heartbeat every hour. */
  start(): void {
    void this.reportCounters().catch(() => undefined);
    void this.updateFirmware().catch(() => undefined);
    const weekly = (): void => {
      const t = setTimeout(() => {
        void this.reportCounters().catch(() => undefined);
        void this.updateFirmware().catch(() => undefined);
        weekly();
      }, nextWeekly(this.now, 1, 10) - this.now);
      t.unref();
      this.timers.push(t);
    };
    weekly();
    const beat = setInterval(() => void this.report({ kind: 'heartbeat' }).catch(() => undefined), 3600_000);
    beat.unref();
    this.timers.push(beat);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  private async once(code: string, r: DeviceReport): Promise<void> {
    if (this.sent.has(code)) return;
    this.sent.add(code);
    await this.report(r);
  }

  private async report(r: DeviceReport): Promise<ReportReply> {
    const reply = await sendReport({ relayUrl: this.o.relayUrl, token: this.o.token, report: r });
    this.o.onReply?.(r, reply);
    return reply;
  }
}
