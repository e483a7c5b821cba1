import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Answers } from '../../src/sessions/answers.js';
import { DeviceSessions } from '../../src/sessions/device-sessions.js';
import { SessionHub } from '../../src/sessions/hub.js';
import { PresenceService } from '../../src/sessions/presence.js';
import { TimerWheel } from '../../src/sessions/timer-wheel.js';
import { createServices } from '../../src/services/index.js';
import { ServiceError } from '../../src/services/kernel/errors.js';
import { cryptoRandom } from '../../src/services/kernel/secrets.js';
import { AlertService } from '../../src/services/management/alerts.js';
import { ReportService } from '../../src/services/management/reports.js';
import { PushService } from '../../src/services/push/push.js';
import { openDatabase } from '../../src/store/sqlite/open.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ManualClock } from '../helpers/clock.js';
import { tempDir } from '../helpers/relay.js';

describe('the counters rule under concurrent reports', () => {
  it('two counters reports of one device in flight at once never store a lower reading after a higher one', async () => {
    const clock = new ManualClock();
    const store = sqliteStore(openDatabase(tempDir()));
    const s = createServices({ store, clock, random: cryptoRandom(), domain: 'example.net' }, { registrationTtlMs: 60_000, dataDir: tempDir() });
    await s.accounts.ensureDefaultAccount();
    const presence = new PresenceService(store, clock, new TimerWheel(clock));
    const push = new PushService(s.ctx, s.devices, new DeviceSessions(new SessionHub(presence), new Answers(clock), presence));
    const reports = new ReportService(s.ctx, push, new AlertService(s.ctx), s.firmware);
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
