/** The relay's services over a fresh SQLite database on a manual clock, without transports: what unit tests of services build on. */
import { createServices } from '../../src/services/index.js';
import { cryptoRandom } from '../../src/services/kernel/secrets.js';
import { AlertService } from '../../src/services/management/alerts.js';
import { ReportService } from '../../src/services/management/reports.js';
import { PushService } from '../../src/services/push/push.js';
import { Answers } from '../../src/sessions/answers.js';
import { DeviceSessions } from '../../src/sessions/device-sessions.js';
import { SessionHub } from '../../src/sessions/hub.js';
import { PresenceService } from '../../src/sessions/presence.js';
import { TimerWheel } from '../../src/sessions/timer-wheel.js';
import { openDatabase } from '../../src/store/sqlite/open.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { ManualClock } from './clock.js';
import { tempDir } from './relay.js';

export async function serviceRig(o: { clock?: ManualClock; store?: Store; timeZone?: string } = {}) {
  const clock = o.clock ?? new ManualClock();
  const dir = tempDir();
  const store = o.store ?? sqliteStore(openDatabase(dir), dir);
  const s = createServices({ store, clock, random: cryptoRandom(), domain: 'example.net' }, { registrationTtlMs: 60_000, timeZone: o.timeZone });
  await s.accounts.ensureDefaultAccount();
  const presence = new PresenceService(store, clock, new TimerWheel(clock));
  const hub = new SessionHub(presence);
  const answers = new Answers(clock);
  const sessions = new DeviceSessions(hub, answers, presence);
  return { clock, store, s, presence, hub, answers, sessions };
}

/** Device reports as the relay ingests them, with the push relay and alerts they use. */
export function reportService({ s, sessions }: Awaited<ReturnType<typeof serviceRig>>): ReportService {
  return new ReportService(s.ctx, new PushService(s.ctx, s.devices, sessions), new AlertService(s.ctx), s.firmware);
}
