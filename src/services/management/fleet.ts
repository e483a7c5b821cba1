import type { Device } from '../../domain/devices.js';
import { dayOf, everyDay, sampleSlot, type FleetDay, type FleetSample } from '../../domain/fleet.js';
import { accountScope, type Principal } from '../../domain/principal.js';
import { daysLeft, type Supply } from '../../domain/status.js';
import type { ServiceContext } from '../kernel/context.js';

/** Supplies at or below this show on the dashboard as running out. */
export const RUNNING_LOW_PERCENT = 25;

export interface RunningLow {
  device: Device;
  supply: Supply;
  /** At the pace of its last 60 days; null when it does not go down. */
  daysLeft: number | null;
}

/**
 * The fleet over time for the dashboard (issue 15): devices online every quarter hour (sampled by
 * the node that runs the sweeps), jobs and pages a day (counted as they happen), and the supplies
 * running out first with the days they have left.
 */
export class FleetService {
  private sampled = -1;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly keepMs: number,
  ) {}

  /** Once per slot: the sample of devices online; figures older than the keep time go. */
  async sweep(): Promise<void> {
    const now = this.ctx.clock.now();
    const slot = sampleSlot(now);
    if (slot === this.sampled) return;
    await this.ctx.store.fleet.sample(slot);
    await this.ctx.store.fleet.deleteBefore(now - this.keepMs, dayOf(now - this.keepMs));
    this.sampled = slot;
  }

  /** Devices and devices online over the last `days` days. */
  online(p: Principal, days: number): Promise<FleetSample[]> {
    return this.ctx.store.fleet.samples({ accountId: accountScope(p), from: this.ctx.clock.now() - days * 86400_000 });
  }

  /** Jobs and pages each day of the last `days` days, today included, days without any as zeros. */
  async days(p: Principal, days: number): Promise<FleetDay[]> {
    const now = this.ctx.clock.now();
    const from = now - (days - 1) * 86400_000;
    return everyDay(await this.ctx.store.fleet.days({ accountId: accountScope(p), from: dayOf(from) }), from, now);
  }

  /** The devices whose lowest supply is lowest, at most RUNNING_LOW_PERCENT, with the days it has left. */
  async runningLow(p: Principal, limit: number): Promise<RunningLow[]> {
    const now = this.ctx.clock.now();
    const rows = await this.ctx.store.status.lowest({ accountId: accountScope(p), atMost: RUNNING_LOW_PERCENT, limit });
    const out: RunningLow[] = [];
    for (const { deviceId, status } of rows) {
      const device = await this.ctx.store.devices.get(deviceId);
      const supply = status.supplies.filter((s) => s.percent !== null).sort((a, b) => a.percent! - b.percent!)[0];
      if (!device || !supply) continue;
      const points = await this.ctx.store.status.history(deviceId, { object: `supply.${supply.index}`, from: now - 60 * 86400_000, to: now, limit: 2000 });
      out.push({ device, supply, daysLeft: daysLeft(points, now) });
    }
    return out;
  }
}
