import { accountScope, actorName, canSeeAccount, type Principal } from '../../domain/principal.js';
import type { Alert } from '../../domain/alerts.js';
import type { Device } from '../../domain/devices.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { notFound, ServiceError } from '../kernel/errors.js';

export interface AlertEvents {
  /** A new alert (not a repeat of an unresolved one): notify once. */
  opened(alert: Alert, device: Device): void;
}

/**
 * Alerts from device reports: open → acknowledged → resolved (by an operator or the device's
 * "cleared" report). A report with the key of an unresolved alert only counts on it, so
 * operators and notifications hear of a condition once until it is resolved.
 */
export class AlertService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly events: AlertEvents = { opened: () => undefined },
  ) {}

  async raise(d: Device, r: { key: string; type: string; code: string | null; description: string; reception: number }): Promise<void> {
    const { alert, opened } = await this.ctx.store.alerts.raise({ deviceId: d.id, accountId: d.accountId, ...r, at: this.ctx.clock.now() });
    if (opened) this.events.opened(alert, d);
  }

  /** The device says the condition is over. */
  async clear(d: Device, key: string): Promise<boolean> {
    return (await this.ctx.store.alerts.resolve({ deviceId: d.id, key }, `device:${d.id}`, this.ctx.clock.now())) !== null;
  }

  async list(p: Principal, f: { deviceId?: string; state?: Alert['state']; cursor?: number; limit?: number }): Promise<Alert[]> {
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 500);
    return this.ctx.store.alerts.list({ ...f, accountId: accountScope(p), limit });
  }

  async get(p: Principal, id: number): Promise<Alert> {
    const a = await this.ctx.store.alerts.get(id);
    if (!a || !canSeeAccount(p, a.accountId)) throw notFound(`alert ${id}`);
    return a;
  }

  /** Alerts with the device each is about (model, place, installer, contact), for display. */
  async withDevices(list: Alert[]): Promise<{ alert: Alert; device: Device | null }[]> {
    const devices = new Map<string, Device | null>();
    for (const a of list) if (!devices.has(a.deviceId)) devices.set(a.deviceId, await this.ctx.store.devices.get(a.deviceId));
    return list.map((alert) => ({ alert, device: devices.get(alert.deviceId) ?? null }));
  }

  async acknowledge(p: Principal, id: number): Promise<Alert> {
    const a = await this.get(p, id);
    if (a.state !== 'open') throw new ServiceError('conflict', `alert ${id} is ${a.state}`);
    await this.ctx.store.alerts.acknowledge(id, actorName(p), this.ctx.clock.now());
    await audit(this.ctx, p, 'alert.acknowledge', String(id), a.accountId);
    return this.get(p, id);
  }

  async resolve(p: Principal, id: number): Promise<Alert> {
    const a = await this.get(p, id);
    if (a.state === 'resolved') throw new ServiceError('conflict', `alert ${id} is already resolved`);
    await this.ctx.store.alerts.resolve({ id }, actorName(p), this.ctx.clock.now());
    await audit(this.ctx, p, 'alert.resolve', String(id), a.accountId);
    return this.get(p, id);
  }
}
