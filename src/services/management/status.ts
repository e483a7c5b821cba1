import type { Principal } from '../../domain/principal.js';
import type { ResultObject } from '../../domain/push.js';
import type { Device } from '../../domain/devices.js';
import type { PrinterState } from '../../domain/print.js';
import { dayOf } from '../../domain/fleet.js';
import { EMPTY_STATUS, HISTORY_OBJECT, historyPoints, mergeCounters, mergePoll, pagesBetween, statusFromObjects, SUPPLY_LOW_PERCENT, stoppedBy, supplyCrossings, type DeviceStatus, type HistoryPoint } from '../../domain/status.js';
import type { DeviceService } from '../identity/devices.js';
import type { ServiceContext } from '../kernel/context.js';
import { invalid } from '../kernel/errors.js';

/** How long supply levels and counters are kept by default. */
export const HISTORY_KEEP_DAYS = 400;
const MAX_HISTORY_POINTS = 10_000;

/** Where the status poll's findings go: the same alerts as devices' reports (AlertService). */
export interface StatusAlerts {
  raise(d: Device, r: { key: string; type: string; code: string | null; description: string; reception: number }): Promise<void>;
  clear(d: Device, key: string): Promise<boolean>;
}

export const STUCK_KEY = 'printer-stuck';

/**
 * Each device's last known status (issue 15), fed by the relay's status poll and by seed 004
 * counters reports, with its supply levels and counters over time for charts and forecasts. A
 * poll that sees a supply cross its low mark, or a printer stopped (jammed, out of paper, down…)
 * with a job processing, opens an alert as a device's own report would, stored as a report
 * `via: poll`; the alert clears when a later poll sees the supply replaced or the printer going.
 */
export class StatusService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly devices: DeviceService,
    private readonly alerts: StatusAlerts,
    private readonly keepMs = HISTORY_KEEP_DAYS * 86400_000,
  ) {}

  /** A status poll's answer (the objects of STATUS_OIDS), over the session `transport` carries. */
  async polled(deviceId: string, objects: ResultObject[], transport: DeviceStatus['transport'] = null): Promise<DeviceStatus> {
    const now = this.ctx.clock.now();
    const before = await this.last(deviceId);
    const status = mergePoll(before, statusFromObjects(objects, now), transport ?? before.transport ?? null);
    await this.ctx.store.status.save(deviceId, status, historyPoints(status, now), now);
    await this.countPages(deviceId, before, status, now);
    const device = await this.ctx.store.devices.get(deviceId);
    if (device) await this.alertOn(device, before, status);
    return status;
  }

  /** A seed 004 counters report the relay accepted. */
  async counters(deviceId: string, c: { total: number; mono: number; colour: number }): Promise<void> {
    const now = this.ctx.clock.now();
    const before = await this.last(deviceId);
    const status = mergeCounters(before, c, now);
    await this.ctx.store.status.save(deviceId, status, historyPoints({ ...EMPTY_STATUS, counters: status.counters }, now), now);
    await this.countPages(deviceId, before, status, now);
  }

  /** The pages a device printed since its last reading go to its account's day (the dashboard's pages a day). */
  private async countPages(deviceId: string, before: DeviceStatus, after: DeviceStatus, now: number): Promise<void> {
    const pages = pagesBetween(before.counters, after.counters);
    if (pages > 0) await this.ctx.store.fleet.count(deviceId, dayOf(now), { pages });
  }

  /** Points in [from, to] (default: the last 30 days), oldest first: one object (`supply.1`, `counter.total`) or all. */
  async history(p: Principal, deviceId: string, q: { object?: string; from?: number; to?: number; limit?: number }): Promise<HistoryPoint[]> {
    const device = await this.devices.get(p, deviceId);
    if (q.object !== undefined && !HISTORY_OBJECT.test(q.object)) throw invalid('object is supply.<index>, counter.total, counter.mono or counter.colour');
    const to = q.to ?? this.ctx.clock.now();
    const from = q.from ?? to - 30 * 86400_000;
    if (!(Number.isFinite(from) && Number.isFinite(to) && from <= to)) throw invalid('from and to are times, from at or before to');
    const limit = Math.min(Math.max(q.limit ?? 1000, 1), MAX_HISTORY_POINTS);
    return this.ctx.store.status.history(device.id, { object: q.object, from, to, limit });
  }

  /** History older than the keep time goes. */
  sweep(): Promise<number> {
    return this.ctx.store.status.deleteHistoryBefore(this.ctx.clock.now() - this.keepMs);
  }

  /** How often the device's account wants its devices polled, in ms: null for the relay's interval, 0 for never. */
  async pollIntervalOf(deviceId: string): Promise<number | null> {
    const d = await this.ctx.store.devices.get(deviceId);
    const seconds = d ? (await this.ctx.store.accounts.get(d.accountId))?.statusPollSeconds : null;
    return seconds === null || seconds === undefined ? null : seconds * 1000;
  }

  private async alertOn(d: Device, before: DeviceStatus, after: DeviceStatus): Promise<void> {
    const mark = (await this.ctx.store.accounts.get(d.accountId))?.supplyLowPercent ?? SUPPLY_LOW_PERCENT;
    const { low, refilled } = supplyCrossings(before, after, mark);
    for (const s of low)
      await this.raise(d, { key: `supply:${s.index}`, type: 'consumable-low', code: `supply.${s.index}`, description: `${s.description || `supply ${s.index}`} is at ${s.percent} %` });
    for (const s of refilled) await this.alerts.clear(d, `supply:${s.index}`);
    const stopped = stoppedBy(after);
    if (stopped.length === 0) {
      if (stoppedBy(before).length > 0) await this.alerts.clear(d, STUCK_KEY);
      return;
    }
    const [job] = await this.ctx.store.print.jobs({ deviceId: d.id, states: ['processing'], limit: 1 });
    if (job) await this.raise(d, { key: STUCK_KEY, type: 'abnormal', code: stopped[0]!, description: `printing stopped (${stopped.join(', ')}) with job ${job.id} processing` });
  }

  /** Stores what the poll found as a report of the device's (for its reception number), and opens or counts the alert. */
  private async raise(d: Device, a: { key: string; type: string; code: string; description: string }): Promise<void> {
    const reception = await this.ctx.store.reports.insert({
      deviceId: d.id, accountId: d.accountId, type: a.type, namespace: 'status-poll', code: a.code, text: a.description,
      quantity: null, total: null, mono: null, colour: null, via: 'poll', receivedAt: this.ctx.clock.now(),
    });
    await this.alerts.raise(d, { ...a, reception });
  }

  /** What the printer last said of itself (seed 003's state report), or null. */
  printer(deviceId: string): Promise<PrinterState | null> {
    return this.ctx.store.print.printer(deviceId);
  }

  /** The last known status, whoever may see it (EMPTY_STATUS before anything is known). */
  async last(deviceId: string): Promise<DeviceStatus> {
    return (await this.ctx.store.status.get(deviceId)) ?? EMPTY_STATUS;
  }
}
