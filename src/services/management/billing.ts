import { billingLine, csvCell, effective, isTimeZone, parseBillingTime, type Counters } from '../../domain/billing.js';
import { actorName, type Principal } from '../../domain/principal.js';
import type { Device } from '../../domain/devices.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import type { DeviceService } from '../identity/devices.js';
import { invalid } from '../kernel/errors.js';

export const BILLING_COLUMNS = [
  'device_id', 'serial', 'registration_number', 'model', 'installation_place',
  'start_at', 'end_at', 'start_total', 'end_total', 'delta_total', 'start_mono', 'end_mono', 'delta_mono', 'start_colour', 'end_colour', 'delta_colour',
];

const MAX_COUNTER = 2 ** 53 - 1;

/**
 * Meter offsets and the billing export (seed 004 state 7: "bills … based on the registered
 * billing information"). The export walks devices a page at a time and yields between
 * devices, so a large fleet does not hold the event loop.
 */
export class BillingService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly devices: DeviceService,
    readonly timeZone: string,
  ) {
    if (!isTimeZone(timeZone)) throw new Error(`unknown time zone ${timeZone}`);
  }

  /** The device's counters restarted (board swap): from `at` on, add these to its reads. */
  async addOffset(p: Principal, deviceId: string, o: Counters & { at?: string }): Promise<void> {
    const d = await this.devices.get(p, deviceId);
    for (const [k, v] of Object.entries({ total: o.total, mono: o.mono, colour: o.colour }))
      if (!Number.isSafeInteger(v) || v < 0 || v > MAX_COUNTER) throw invalid(`${k} is a whole number of sheets`);
    const at = o.at === undefined ? this.ctx.clock.now() : this.time(o.at);
    await this.ctx.store.meter.addOffset(d.id, { at, total: o.total, mono: o.mono, colour: o.colour }, actorName(p));
    await audit(this.ctx, p, 'meter.offset', d.id, d.accountId, { at, ...o });
  }

  /** CSV lines for [from, to), header first; from/to are dates (midnight in the relay's time zone) or ISO times. */
  async *csv(p: Principal, fromText: string, toText: string, accountId?: string): AsyncGenerator<string> {
    const from = this.time(fromText);
    const to = this.time(toText);
    if (!(from < to)) throw invalid('from must be before to');
    if (to - from > 400 * 86400_000) throw invalid('a billing period is at most 400 days');
    yield BILLING_COLUMNS.join(',') + '\r\n';
    let cursor: string | undefined;
    do {
      const page = await this.devices.list(p, { accountId, cursor, limit: 500 });
      for (const d of page.items) {
        yield await this.row(d, from, to);
        await new Promise((r) => setImmediate(r));
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  private async row(d: Device, from: number, to: number): Promise<string> {
    const offsets = await this.ctx.store.meter.offsets(d.id);
    const reads = (await this.ctx.store.reports.readsForPeriod(d.id, from, to)).map((r) => effective(r, offsets));
    const { start, end, delta } = billingLine(reads, from, to);
    const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
    const cells = [
      d.id, d.serial, d.registry.registrationNumber, d.model, d.registry.installationPlace,
      iso(start?.at), iso(end?.at),
      start?.total ?? null, end?.total ?? null, delta?.total ?? null,
      start?.mono ?? null, end?.mono ?? null, delta?.mono ?? null,
      start?.colour ?? null, end?.colour ?? null, delta?.colour ?? null,
    ];
    return cells.map(csvCell).join(',') + '\r\n';
  }

  private time(s: string): number {
    try {
      return parseBillingTime(s, this.timeZone);
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
}
