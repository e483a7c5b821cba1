import { checkReport, counterProblem, ERROR_NAMESPACE, ORDER_NAMESPACE, ReportError, type ErrorKind, type ReportInput, type ReportType } from '../../domain/reports.js';
import type { Device } from '../../domain/devices.js';
import type { Firmware } from '../../domain/firmware.js';
import type { StoredReport } from '../../domain/reports.js';
import type { FirmwareService } from './firmware.js';
import { effective } from '../../domain/billing.js';
import { accountScope, type Principal } from '../../domain/principal.js';
import type { ServiceContext } from '../kernel/context.js';
import { invalid, ServiceError } from '../kernel/errors.js';
import type { PushService } from '../push/push.js';
import { sha256 } from '../kernel/secrets.js';

/** What the device is told, so its panel can show the report arrived (seed 004 Sa3, the reply of Figs. 6–18). */
export interface Reception {
  receivedAt: number;
  type: ReportType;
  reception: number;
  description: string;
  /** Heartbeat only: push requests queued for the device, each handed over once (seed 004's fixed-interval send: the server's only way down to the device). */
  requests?: { requestId: string; op: string; oids?: string[]; objects?: unknown[] }[];
}

export interface ReportEvents {
  orderReceived(d: Device, o: { code: string; part: string; quantity: number; reception: number }): void;
  /** A meter read was stored (the device's status follows it). */
  countersAccepted(d: Device, c: { total: number; mono: number; colour: number }): void;
}

const ERROR_KINDS: readonly string[] = ['consumable-low', 'part-replacement', 'abnormal'];

/**
 * Device reports of seed 004 (the reply processing unit 220): looks codes up in the code
 * tables, stores the report under a new reception number, opens or updates alerts, and
 * answers with what the panel shows.
 */
export class ReportService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly push: PushService,
    private readonly alerts: { raise(d: Device, r: { key: string; type: string; code: string | null; description: string; reception: number }): Promise<void>; clear(d: Device, key: string): Promise<boolean> },
    private readonly firmware: FirmwareService,
    private readonly events: ReportEvents = { orderReceived: () => undefined, countersAccepted: () => undefined },
  ) {}

  async ingest(device: Device, raw: ReportInput, via: 'json' | 'cgi'): Promise<Reception> {
    let input: ReportInput;
    try {
      input = checkReport(raw);
    } catch (err) {
      if (err instanceof ReportError) throw invalid(err.message);
      throw err;
    }
    const now = this.ctx.clock.now();
    const base = { deviceId: device.id, accountId: device.accountId, namespace: null, code: null, text: null, quantity: null, total: null, mono: null, colour: null, via, receivedAt: now };
    const store = (r: Partial<StoredReport> & { type: ReportType }): Promise<number> => this.ctx.store.reports.insert({ ...base, ...r });

    switch (input.kind) {
      case 'error': {
        const code = await this.code(input.namespace, input.code);
        const type = (code.kind && ERROR_KINDS.includes(code.kind) ? code.kind : 'abnormal') as ErrorKind;
        const reception = await store({ type, namespace: input.namespace, code: input.code });
        await this.alerts.raise(device, { key: `${input.namespace}:${input.code}`, type, code: input.code, description: code.description, reception });
        return { receivedAt: now, type, reception, description: code.reply };
      }
      case 'user-report': {
        const reception = await store({ type: 'user-report', text: input.text });
        const key = `user:${sha256(input.text.toLowerCase().replace(/\s+/g, ' ')).slice(0, 16)}`;
        await this.alerts.raise(device, { key, type: 'user-report', code: null, description: input.text, reception });
        return { receivedAt: now, type: 'user-report', reception, description: input.text };
      }
      case 'order': {
        const code = await this.code(ORDER_NAMESPACE, input.code);
        const reception = await store({ type: 'order', namespace: ORDER_NAMESPACE, code: input.code, quantity: input.quantity });
        this.events.orderReceived(device, { code: input.code, part: code.description, quantity: input.quantity, reception });
        return { receivedAt: now, type: 'order', reception, description: `${input.code} ${code.description} × ${input.quantity}` };
      }
      case 'counters': {
        // The counters rule (they never go down) is checked and the read stored in one store transaction.
        const stored = await this.ctx.store.reports.insertCounters(
          { ...base, type: 'counters', total: input.total, mono: input.mono, colour: input.colour },
          (last, offsets) => counterProblem(last && effective(last, offsets), effective({ ...input, at: now }, offsets)),
        );
        if (typeof stored !== 'number') throw new ServiceError('conflict', stored.refused);
        const reception = stored;
        this.events.countersAccepted(device, { total: input.total, mono: input.mono, colour: input.colour });
        return { receivedAt: now, type: 'counters', reception, description: `sheets output: total ${input.total}, mono ${input.mono}, colour ${input.colour}` };
      }
      case 'cleared': {
        const reception = await store({ type: 'cleared', namespace: input.namespace, code: input.code });
        const cleared = await this.alerts.clear(device, `${input.namespace}:${input.code}`);
        return { receivedAt: now, type: 'cleared', reception, description: cleared ? `cleared ${input.code}` : `nothing open for ${input.code}` };
      }
      case 'heartbeat': {
        const reception = await store({ type: 'heartbeat' });
        const requests = (await this.push.takeQueued(device.id)).map((q) => ({
          requestId: q.requestId,
          op: q.op,
          ...(q.op === 'get' ? { oids: q.oids } : { objects: q.objects }),
        }));
        return { receivedAt: now, type: 'heartbeat', reception, description: requests.length ? `${requests.length} requests` : 'received', requests };
      }
    }
  }

  /**
   * The update check (seed 004 state 6, /cgi-bin/cgi.checkupdate): the reply carries the newer
   * program when the device's rollout includes one; the history records when and which.
   */
  async firmwareCheck(device: Device, currentVersion: string | null, via: 'json' | 'cgi'): Promise<Reception & { update: { firmware: Firmware; program: Buffer } | null }> {
    const update = await this.firmware.check(device, currentVersion);
    const now = this.ctx.clock.now();
    const reception = await this.ctx.store.reports.insert({
      deviceId: device.id, accountId: device.accountId, type: 'firmware', namespace: null, code: update?.firmware.version ?? null, text: currentVersion,
      quantity: null, total: null, mono: null, colour: null, via, receivedAt: now,
    });
    if (update) await this.firmware.recordSent(device, update.firmware, reception);
    return { receivedAt: now, type: 'firmware', reception, description: update ? 'controller update' : 'no update', update };
  }

  /** Heartbeats are kept a week. */
  sweep(): Promise<number> {
    return this.ctx.store.reports.deleteHeartbeatsBefore(this.ctx.clock.now() - 7 * 86400_000);
  }

  /** Recent reports, newest first: an operator's own account, or all for a site admin. */
  list(p: Principal, f: { deviceId?: string; limit?: number }): Promise<StoredReport[]> {
    return this.ctx.store.reports.list({ deviceId: f.deviceId, accountId: accountScope(p), limit: Math.min(Math.max(f.limit ?? 100, 1), 500) });
  }

  private async code(namespace: string, code: string) {
    const c = await this.ctx.store.codes.get(namespace, code);
    if (!c) throw new ServiceError('unknown-code', `${namespace === ERROR_NAMESPACE ? 'error number' : namespace === ORDER_NAMESPACE ? 'order code' : `${namespace} code`} ${code} is not in the code tables; nothing was stored`);
    return c;
  }
}
