import type { Principal } from '../../domain/principal.js';
import type { ResultObject } from '../../domain/push.js';
import { EMPTY_STATUS, HISTORY_OBJECT, historyPoints, mergeCounters, mergePoll, statusFromObjects, type DeviceStatus, type HistoryPoint } from '../../domain/status.js';
import type { DeviceService } from '../identity/devices.js';
import type { ServiceContext } from '../kernel/context.js';
import { invalid } from '../kernel/errors.js';

/** How long supply levels and counters are kept by default. */
export const HISTORY_KEEP_DAYS = 400;
const MAX_HISTORY_POINTS = 10_000;

/**
 * Each device's last known status (issue 15), fed by the relay's status poll and by seed 004
 * counters reports, with its supply levels and counters over time for charts and forecasts.
 */
export class StatusService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly devices: DeviceService,
    private readonly keepMs = HISTORY_KEEP_DAYS * 86400_000,
  ) {}

  /** A status poll's answer (the objects of STATUS_OIDS). */
  async polled(deviceId: string, objects: ResultObject[]): Promise<DeviceStatus> {
    const now = this.ctx.clock.now();
    const status = mergePoll(await this.last(deviceId), statusFromObjects(objects, now));
    await this.ctx.store.status.save(deviceId, status, historyPoints(status, now), now);
    return status;
  }

  /** A seed 004 counters report the relay accepted. */
  async counters(deviceId: string, c: { total: number; mono: number; colour: number }): Promise<void> {
    const now = this.ctx.clock.now();
    const status = mergeCounters(await this.last(deviceId), c, now);
    await this.ctx.store.status.save(deviceId, status, historyPoints({ ...EMPTY_STATUS, counters: status.counters }, now), now);
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

  /** The last known status, whoever may see it (EMPTY_STATUS before anything is known). */
  async last(deviceId: string): Promise<DeviceStatus> {
    return (await this.ctx.store.status.get(deviceId)) ?? EMPTY_STATUS;
  }
}
