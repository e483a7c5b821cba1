import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { serviceRig } from '../helpers/services.js';
import { settle } from '../helpers/store.js';
import type { PushRequest } from '../../src/domain/push.js';
import type { DeviceMessage } from '../../src/domain/messages.js';
import type { Principal } from '../../src/domain/principal.js';
import { type Services } from '../../src/services/index.js';
import { ServiceError } from '../../src/services/kernel/errors.js';
import { PushService } from '../../src/services/push/push.js';
import { Answers } from '../../src/sessions/answers.js';
import { SessionHub, type DeviceLink } from '../../src/sessions/hub.js';
import { LAST_SEEN_EVERY_MS, PresenceService } from '../../src/sessions/presence.js';
import { TimerWheel, type WheelEntry } from '../../src/sessions/timer-wheel.js';

const CLI: Principal = { kind: 'cli' };
const problem = (name: string) => (err: unknown) => err instanceof ServiceError && err.problem === name;

class FakeLink implements DeviceLink {
  readonly transport = 'websocket';
  pushed: PushRequest[] = [];
  closed: string | null = null;
  deliver(msg: DeviceMessage): boolean {
    if (msg.kind === 'push') this.pushed.push(msg.req);
    return true;
  }
  close(reason: 'replaced' | 'offline' | 'shutdown'): void {
    this.closed = reason;
  }
}

describe('timer wheel', () => {
  it('fires deadlines never early and at most one resolution late', () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel(clock, 250);
    const fired: number[] = [];
    const entry = (ms: number): WheelEntry => ({ tick: -1, fire: () => fired.push(ms) });
    const start = clock.now();
    const a = entry(1000);
    const b = entry(1100);
    wheel.schedule(a, 1000);
    wheel.schedule(b, 1100);
    clock.advance(999);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [1000]);
    clock.advance(349);
    assert.deepEqual(fired, [1000, 1100]);
    assert.ok(clock.now() - start <= 1100 + 250);
    const c = entry(500);
    wheel.schedule(c, 500);
    wheel.cancel(c);
    clock.advance(1000);
    assert.deepEqual(fired, [1000, 1100]);
    assert.equal(wheel.scheduled, 0);
  });
});

describe('presence and push on an injected clock (seed 000 S327–S333, S349–S375)', () => {
  let clock: ManualClock;
  let s: Services;
  let presence: PresenceService;
  let hub: SessionHub;
  let push: PushService;
  let answers: Answers;
  let deviceId: string;

  beforeEach(async () => {
    const rig = await serviceRig();
    ({ clock, s, presence, hub, answers } = rig);
    push = new PushService(s.ctx, s.devices, rig.sessions);
    deviceId = (await s.devices.provision(CLI, { serial: 'S', model: 'M' })).device.id;
  });

  it('is ONLINE from bind, stays so while the device sends requests, OFFLINE 2 minutes after the last one', async () => {
    const events: string[] = [];
    presence.on('online', (id) => events.push(`online ${id}`));
    presence.on('offline', (id, why) => events.push(`offline ${id} ${why}`));
    const link = new FakeLink();
    hub.bind(deviceId, link);
    assert.ok(presence.isOnline(deviceId));
    for (let i = 0; i < 5; i++) {
      clock.advance(100_000);
      hub.activity(deviceId, link); // S364: any request resets the timer
    }
    assert.ok(presence.isOnline(deviceId));
    clock.advance(119_999);
    assert.ok(presence.isOnline(deviceId));
    clock.advance(251); // one wheel slot
    assert.ok(!presence.isOnline(deviceId));
    assert.deepEqual(events, [`online ${deviceId}`, `offline ${deviceId} timer`]);
    assert.equal(link.closed, 'offline', 'the session of an OFFLINE device is closed');
  });

  it('persists presence and last-seen in batches', async () => {
    hub.bind(deviceId, new FakeLink());
    assert.equal((await s.ctx.store.devices.get(deviceId))?.online, false, 'not written yet');
    await presence.flush();
    const d = await s.ctx.store.devices.get(deviceId);
    assert.equal(d?.online, true);
    assert.equal(d?.lastSeenAt, clock.now());
  });

  it("stores an online device's last-seen at most once a minute, and its last request when it goes OFFLINE", async () => {
    const link = new FakeLink();
    hub.bind(deviceId, link);
    const boundAt = clock.now();
    await presence.flush();
    clock.advance(10_000);
    hub.activity(deviceId, link);
    await presence.flush();
    assert.equal((await s.ctx.store.devices.get(deviceId))?.lastSeenAt, boundAt, 'not rewritten for a request 10 s later');
    clock.advance(LAST_SEEN_EVERY_MS);
    hub.activity(deviceId, link);
    const lastRequestAt = clock.now();
    await presence.flush();
    assert.equal((await s.ctx.store.devices.get(deviceId))?.lastSeenAt, lastRequestAt, 'rewritten a minute on');
    clock.advance(5_000);
    hub.activity(deviceId, link);
    const finalAt = clock.now();
    clock.advance(1_000);
    hub.unbind(deviceId, link);
    await presence.flush();
    const d = await s.ctx.store.devices.get(deviceId);
    assert.equal(d?.online, false);
    assert.equal(d?.lastSeenAt, finalAt, 'OFFLINE with the time of its last request');
  });

  it('a newer session replaces the older one', () => {
    const a = new FakeLink();
    const b = new FakeLink();
    hub.bind(deviceId, a);
    hub.bind(deviceId, b);
    assert.equal(a.closed, 'replaced');
    hub.unbind(deviceId, a); // the old one's end does not take the device offline
    assert.ok(presence.isOnline(deviceId));
    hub.unbind(deviceId, b);
    assert.ok(!presence.isOnline(deviceId));
  });

  it('an OFFLINE device is an immediate error, never a wait (S349/S351)', async () => {
    await assert.rejects(push.get(CLI, deviceId, ['1.3.6.1.2.1.1.5.0']), problem('device-offline'));
    assert.equal(answers.size, 0);
  });

  it('pushes with an unpredictable request ID and completes on the device\'s answer (S353–S373)', async () => {
    const link = new FakeLink();
    hub.bind(deviceId, link);
    const pending = push.get(CLI, deviceId, ['1.3.6.1.2.1.1.5.0']);
    await settle();
    const req = link.pushed[0]!;
    assert.match(req.requestId, /^r[a-z2-7]{24}$/);
    assert.equal(await push.answer('dsomeoneelse', req.requestId, { objects: [] }), false, 'only the addressed device may answer');
    assert.ok(await push.answer(deviceId, req.requestId, { objects: [{ oid: '1.3.6.1.2.1.1.5.0', type: 'string', value: 'mfp' }] }));
    assert.deepEqual(((await pending) as { objects: unknown }).objects, [{ oid: '1.3.6.1.2.1.1.5.0', type: 'string', value: 'mfp' }]);
    assert.equal(await push.answer(deviceId, req.requestId, { objects: [] }), false, 'answered once');
  });

  it('times out on the injected clock and forgets the request', async () => {
    hub.bind(deviceId, new FakeLink());
    const pending = push.get(CLI, deviceId, ['1.3.6.1.2.1.1.5.0'], { timeoutSeconds: 5 });
    await settle();
    clock.advance(4999);
    assert.equal(answers.size, 1);
    clock.advance(1);
    await assert.rejects(pending, problem('device-timeout'));
    assert.equal(answers.size, 0);
  });

  it('caps the requests waiting per device', async () => {
    hub.bind(deviceId, new FakeLink());
    const waiting = Array.from({ length: 32 }, () => push.get(CLI, deviceId, ['1.3.6.1.2.1.1.5.0'], { timeoutSeconds: 1 }));
    await settle();
    await assert.rejects(push.get(CLI, deviceId, ['1.3.6.1.2.1.1.5.0'], { timeoutSeconds: 1 }), problem('device-busy'));
    clock.advance(1000);
    for (const w of waiting) await assert.rejects(w, problem('device-timeout'));
  });
});
