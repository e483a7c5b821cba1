import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retag } from '../../src/domain/bulk.js';
import type { Principal } from '../../src/domain/principal.js';
import { BulkService } from '../../src/services/management/bulk.js';
import { PushService } from '../../src/services/push/push.js';
import { ManualClock } from '../helpers/clock.js';
import { serviceRig } from '../helpers/services.js';

const CLI: Principal = { kind: 'cli' };

describe('bulk jobs', () => {
  it('retag adds and removes, sorted and without repeats', () => {
    assert.deepEqual(retag(['b', 'old', 'a'], ['c', 'a'], ['old']), ['a', 'b', 'c']);
  });

  it("a job its node left running when it stopped is finished at the node's start, its pending devices failed (retry runs them); other nodes' jobs are theirs", async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const { s, sessions } = await serviceRig({ clock });
    const d = (await s.devices.provision(CLI, { serial: 'B-1', model: 'M' })).device;
    const job = (node: string, id: string) => ({ id, accountId: null, params: { action: 'remove' as const }, state: 'running' as const, node, createdBy: 'cli', createdAt: clock.now(), updatedAt: clock.now() });
    await s.ctx.store.bulk.insert(job('n1', 'b-mine'), [d.id]);
    await s.ctx.store.bulk.insert(job('n2', 'b-theirs'), [d.id]);
    const bulk = new BulkService(s.ctx, s.devices, new PushService(s.ctx, s.devices, sessions), s.firmware, 'n1');
    assert.equal(await bulk.recover(), 1);
    const mine = await bulk.get(CLI, 'b-mine');
    assert.equal(mine.job.state, 'done');
    assert.deepEqual(mine.counts, { pending: 0, ok: 0, queued: 0, failed: 1 });
    assert.match((await bulk.results(CLI, 'b-mine', { state: 'failed' }))[0]!.detail!, /relay stopped/);
    assert.equal((await bulk.get(CLI, 'b-theirs')).job.state, 'running');
  });
});
