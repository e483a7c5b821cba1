import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '../../src/services/kernel/errors.js';
import { reportService, serviceRig } from '../helpers/services.js';

describe('the counters rule under concurrent reports', () => {
  it('two counters reports of one device in flight at once never store a lower reading after a higher one', async () => {
    const rig = await serviceRig();
    const { clock, store, s } = rig;
    const reports = reportService(rig);
    const { device } = await s.devices.provision({ kind: 'cli' }, { serial: 'RACE-1', model: 'MP C3004' });
    const report = (total: number) => reports.ingest(device, { kind: 'counters', total, mono: total, colour: 0 }, 'json');
    await report(100);
    for (let i = 1; i <= 20; i++) {
      clock.advance(1000);
      const outcomes = await Promise.allSettled([report(100 + 20 * i), report(100 + 20 * i - 10)]);
      for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof ServiceError && o.reason.problem === 'conflict', String(o.reason));
    }
    const reads = await store.reports.readsForPeriod(device.id, 0, clock.now() + 1);
    for (let i = 1; i < reads.length; i++) assert.ok(reads[i]!.total >= reads[i - 1]!.total, `read ${i} went down: ${reads[i - 1]!.total} → ${reads[i]!.total}`);
    await store.close();
  });
});
