/** The relay's services over a fresh store of the kind this run tests (test/helpers/store.ts) on a manual clock, without transports: what unit tests of services build on. */
import { createServices } from '../../src/services/index.js';
import { cryptoRandom, type Random } from '../../src/services/kernel/secrets.js';
import { AlertService } from '../../src/services/management/alerts.js';
import { ReportService } from '../../src/services/management/reports.js';
import { PushService } from '../../src/services/push/push.js';
import { LocalBus } from '../../src/bus/local.js';
import { Answers } from '../../src/sessions/answers.js';
import { DeviceDirectory } from '../../src/sessions/directory.js';
import { ClusterNodes } from '../../src/sessions/nodes.js';
import { DeviceSessions } from '../../src/sessions/device-sessions.js';
import { SessionHub } from '../../src/sessions/hub.js';
import { PresenceService } from '../../src/sessions/presence.js';
import { TimerWheel } from '../../src/sessions/timer-wheel.js';
import type { Store } from '../../src/store/store.js';
import { ManualClock } from './clock.js';
import { testStore } from './store.js';

export async function serviceRig(o: { clock?: ManualClock; store?: Store; timeZone?: string; random?: Random } = {}) {
  const clock = o.clock ?? new ManualClock();
  const store = o.store ?? (await testStore());
  const s = createServices({ store, clock, random: o.random ?? cryptoRandom(), domain: 'example.net' }, { registrationTtlMs: 60_000, timeZone: o.timeZone });
  await s.accounts.ensureDefaultAccount();
  const presence = new PresenceService(store, clock, new TimerWheel(clock));
  const hub = new SessionHub(presence);
  const answers = new Answers(clock);
  const bus = new LocalBus();
  const nodes = new ClusterNodes(bus, clock);
  const sessions = new DeviceSessions(hub, answers, presence, new DeviceDirectory(bus, nodes, presence, clock), bus, nodes);
  return { clock, store, s, presence, hub, answers, sessions };
}

/** Device reports as the relay ingests them, with the push relay and alerts they use. */
export function reportService({ s, sessions }: Awaited<ReturnType<typeof serviceRig>>): ReportService {
  return new ReportService(s.ctx, new PushService(s.ctx, s.devices, sessions), new AlertService(s.ctx), s.firmware);
}
