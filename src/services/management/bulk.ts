import { isVersion } from '../../domain/firmware.js';
import type { FirmwareService } from './firmware.js';
import { BULK_ACTIONS, MAX_BULK_DEVICES, retag, type BulkAction, type BulkCounts, type BulkJob, type BulkParams, type BulkResult, type BulkResultState } from '../../domain/bulk.js';
import { accountScope, actorName, canSeeAccount, isAdmin, type Principal } from '../../domain/principal.js';
import type { DeviceService } from '../identity/devices.js';
import { checkTags } from '../identity/devices.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { invalid, notFound, ServiceError } from '../kernel/errors.js';
import { newId } from '../kernel/secrets.js';
import { checkObjects, MAX_QUEUE_TTL_SECONDS, type PushService, type SetObjectInput } from '../push/push.js';

export interface BulkFilter {
  deviceIds?: string[];
  tag?: string;
  /** A device ID, or the start of a serial number (the console's search). */
  search?: string;
  model?: string;
  accountId?: string;
  online?: boolean;
  firmware?: string;
  supplyLow?: boolean;
}

export interface BulkInput {
  action: BulkAction;
  filter: BulkFilter;
  /** set: the objects, and how long to queue them for devices that are offline (none: those fail). */
  objects?: SetObjectInput[];
  queueOfflineSeconds?: number;
  /** tags: what to add and remove. */
  add?: string[];
  remove?: string[];
  /** firmware: the version to assign, null to take the assignment back. */
  version?: string | null;
}

export interface BulkView {
  job: BulkJob;
  counts: BulkCounts;
}

/** Bulk jobs are kept this long. */
const KEEP_MS = 30 * 86400_000;
const BATCH = 64;

/**
 * Bulk actions (issue 15): the same SET, tag change, firmware assignment or removal on every device a filter selects,
 * as a job with a result per device, run in the background on this node at `concurrency` devices
 * at a time, and retried for the devices that failed. The devices are chosen when the job starts;
 * each action runs with the rights of whoever started (or retried) it.
 */
export class BulkService {
  private readonly running = new Set<string>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly devices: DeviceService,
    private readonly push: PushService,
    private readonly firmware: FirmwareService,
    private readonly node: string,
    private readonly concurrency = 16,
  ) {}

  async start(p: Principal, input: BulkInput): Promise<BulkView> {
    const params = checkParams(input);
    const deviceIds = await this.select(p, input.filter ?? {});
    if (deviceIds.length === 0) throw invalid('no device matches the filter; nothing was done');
    const now = this.ctx.clock.now();
    const job: BulkJob = {
      id: newId(this.ctx.random, 'b', 10),
      accountId: accountScope(p, input.filter?.accountId) ?? null,
      params,
      state: 'running',
      node: this.node,
      createdBy: actorName(p),
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.store.bulk.insert(job, deviceIds);
    await audit(this.ctx, p, 'bulk.start', job.id, job.accountId, { action: params.action, devices: deviceIds.length });
    void this.run(p, job);
    return { job, counts: { pending: deviceIds.length, ok: 0, queued: 0, failed: 0 } };
  }

  async get(p: Principal, id: string): Promise<BulkView> {
    const job = await this.visible(p, id);
    return { job, counts: await this.ctx.store.bulk.counts(id) };
  }

  async results(p: Principal, id: string, f: { state?: BulkResultState; cursor?: string; limit?: number }): Promise<BulkResult[]> {
    await this.visible(p, id);
    return this.ctx.store.bulk.results(id, { ...f, limit: Math.min(Math.max(f.limit ?? 100, 1), 500) });
  }

  async list(p: Principal, limit = 50): Promise<BulkJob[]> {
    const jobs = await this.ctx.store.bulk.list({ accountId: accountScope(p), limit: Math.min(Math.max(limit, 1), 500) });
    return jobs.filter((j) => visibleTo(p, j));
  }

  /** The devices that failed are done again (a finished job runs again; a running one picks them up). */
  async retry(p: Principal, id: string): Promise<BulkView> {
    const job = await this.visible(p, id);
    const again = await this.ctx.store.bulk.retryFailed(id, this.ctx.clock.now());
    if (again === 0) throw new ServiceError('conflict', `bulk job ${id} has no failed devices to retry`);
    await audit(this.ctx, p, 'bulk.retry', id, job.accountId, { devices: again });
    void this.run(p, { ...job, node: this.node });
    return this.get(p, id);
  }

  /** At start: jobs this node was running when it stopped are finished, their pending devices failed (retry runs them). */
  recover(): Promise<number> {
    return this.ctx.store.bulk.interruptRunning(this.node, this.ctx.clock.now());
  }

  sweep(): Promise<number> {
    return this.ctx.store.bulk.deleteBefore(this.ctx.clock.now() - KEEP_MS);
  }

  private async run(p: Principal, job: BulkJob): Promise<void> {
    if (this.running.has(job.id)) return;
    this.running.add(job.id);
    try {
      for (let batch = await this.ctx.store.bulk.pending(job.id, BATCH); batch.length > 0; batch = await this.ctx.store.bulk.pending(job.id, BATCH)) {
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(this.concurrency, batch.length) }, async () => {
            while (next < batch.length) await this.one(p, job, batch[next++]!);
          }),
        );
      }
      await this.ctx.store.bulk.setState(job.id, 'done', this.ctx.clock.now());
    } finally {
      this.running.delete(job.id);
    }
  }

  private async one(p: Principal, job: BulkJob, deviceId: string): Promise<void> {
    let state: BulkResultState = 'ok';
    let detail: string | null = null;
    try {
      const a = job.params;
      if (a.action === 'set') {
        const r = await this.push.set(p, deviceId, a.objects, a.queueOfflineSeconds ? { queueTtlSeconds: a.queueOfflineSeconds } : {});
        if ('state' in r) [state, detail] = ['queued', `offline: queued as ${r.requestId} until its next contact`];
      } else if (a.action === 'firmware') {
        await this.firmware.assign(p, deviceId, a.version);
      } else if (a.action === 'tags') {
        const d = await this.devices.get(p, deviceId);
        await this.devices.update(p, deviceId, { tags: retag(d.tags, a.add, a.remove) });
      } else {
        await this.devices.remove(p, deviceId);
      }
    } catch (err) {
      state = 'failed';
      detail = err instanceof ServiceError ? err.message : 'internal error';
    }
    await this.ctx.store.bulk.setResult(job.id, deviceId, state, detail, this.ctx.clock.now());
  }

  /** The devices a filter selects, as the principal sees them: named ones must all exist. */
  private async select(p: Principal, f: BulkFilter): Promise<string[]> {
    if (f.deviceIds) {
      if (f.deviceIds.length > MAX_BULK_DEVICES) throw invalid(`at most ${MAX_BULK_DEVICES} devices a job`);
      const ids = [...new Set(f.deviceIds)];
      for (const id of ids) await this.devices.get(p, id);
      return ids;
    }
    const { deviceIds: _, ...filter } = f;
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.devices.list(p, { ...filter, cursor, limit: 500 });
      ids.push(...page.items.map((d) => d.id));
      if (ids.length > MAX_BULK_DEVICES) throw invalid(`the filter selects more than ${MAX_BULK_DEVICES} devices; narrow it`);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  private async visible(p: Principal, id: string): Promise<BulkJob> {
    const job = id.length <= 64 ? await this.ctx.store.bulk.get(id) : null;
    if (!job || !visibleTo(p, job)) throw notFound(`bulk job ${id}`);
    return job;
  }
}

/** A job across accounts is a site admin's; an account's job is its operators'. */
const visibleTo = (p: Principal, j: BulkJob): boolean => (j.accountId === null ? isAdmin(p) : canSeeAccount(p, j.accountId));

function checkParams(input: BulkInput): BulkParams {
  if (!(BULK_ACTIONS as readonly string[]).includes(input.action)) throw invalid(`action is one of ${BULK_ACTIONS.join(', ')}`);
  if (input.action === 'set') {
    const q = input.queueOfflineSeconds;
    if (q !== undefined && !(Number.isInteger(q) && q > 0 && q <= MAX_QUEUE_TTL_SECONDS)) throw invalid(`queueOfflineSeconds is from 1 to ${MAX_QUEUE_TTL_SECONDS}`);
    return { action: 'set', objects: checkObjects(input.objects ?? []), queueOfflineSeconds: q ?? null };
  }
  if (input.action === 'tags') {
    const add = checkTags(input.add ?? []);
    const remove = checkTags(input.remove ?? []);
    if (add.length + remove.length === 0) throw invalid('give tags to add or remove');
    return { action: 'tags', add, remove };
  }
  if (input.action === 'firmware') {
    if (input.version === undefined || (input.version !== null && !isVersion(input.version))) throw invalid('firmware: version is a program version (e.g. 2.1), or null to take an assignment back');
    return { action: 'firmware', version: input.version };
  }
  return { action: 'remove' };
}
