import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { serviceRig } from '../helpers/services.js';
import { settle } from '../helpers/store.js';
import type { Device } from '../../src/domain/devices.js';
import type { DeviceMessage } from '../../src/domain/messages.js';
import type { Principal } from '../../src/domain/principal.js';
import { type Services } from '../../src/services/index.js';
import { DEFAULT_PRINT, PrintService } from '../../src/services/print/print.js';
import { DEFAULT_PUSH_LIMITS, PushService } from '../../src/services/push/push.js';
import { SessionHub, type DeviceLink } from '../../src/sessions/hub.js';
import { PresenceService } from '../../src/sessions/presence.js';

const CLI: Principal = { kind: 'cli' };
const PDF = Buffer.from('%PDF-1.7\n%%EOF\n');
const REANNOUNCE_MS = 60_000;

/** A session that records what the relay sent down it (and says nothing back: a printer that died under it). */
class Link implements DeviceLink {
  readonly transport = 'bosh';
  sent: DeviceMessage[] = [];
  closed: string | null = null;
  deliver(msg: DeviceMessage): boolean {
    this.sent.push(msg);
    return true;
  }
  close(reason: 'replaced' | 'offline' | 'shutdown'): void {
    this.closed = reason;
  }
  jobs(): string[] {
    return this.sent.flatMap((m) => (m.kind === 'job' ? [m.jobId] : []));
  }
  requests(): string[] {
    return this.sent.flatMap((m) => (m.kind === 'push' ? [m.req.requestId] : []));
  }
}

describe('what went down a dead session is sent again (issue 11 item 10)', () => {
  let clock: ManualClock;
  let s: Services;
  let presence: PresenceService;
  let hub: SessionHub;
  let print: PrintService;
  let push: PushService;
  let printer: Device;

  beforeEach(async () => {
    const rig = await serviceRig();
    ({ clock, s, presence, hub } = rig);
    const { sessions } = rig;
    print = new PrintService(s.ctx, s.devices, sessions, { ...DEFAULT_PRINT, reannounceMs: REANNOUNCE_MS });
    push = new PushService(s.ctx, s.devices, sessions, { ...DEFAULT_PUSH_LIMITS, redeliverMs: REANNOUNCE_MS });
    printer = (await s.devices.provision(CLI, { serial: 'P', model: 'EP' })).device;
    await print.setState(printer, { acceptingJobs: true, status: 'idle' });
  });

  const submit = () => print.submit(CLI, printer.id, { name: 'a.pdf', stream: Readable.from([PDF]) }, {}, 'api');
  const state = async (id: string) => (await print.job(CLI, id)).job.state;

  it('a printer that logs in again while still ONLINE gets its announced jobs on the new session', async () => {
    const old = new Link();
    hub.bind(printer.id, old);
    await settle(); // the new session's look for waiting jobs is over before the job comes
    const job = await submit();
    await settle();
    assert.deepEqual(old.jobs(), [job.id]);
    assert.equal(await state(job.id), 'notified');

    // The printer power-cycles and binds a new session before the old one times out: it never went OFFLINE.
    const offline: string[] = [];
    presence.on('offline', (id) => offline.push(id));
    const fresh = new Link();
    hub.bind(printer.id, fresh);
    await settle();
    assert.equal(old.closed, 'replaced');
    assert.deepEqual(offline, [], 'presence stayed ONLINE');
    assert.deepEqual(fresh.jobs(), [job.id], 'announced again on the new session');
  });

  it('a job announced and not fetched is announced again after a while, and no more once fetched', async () => {
    const link = new Link();
    hub.bind(printer.id, link);
    await settle();
    const job = await submit();
    await settle();
    assert.deepEqual(link.jobs(), [job.id]);
    clock.advance(REANNOUNCE_MS - 1);
    await settle();
    assert.deepEqual(link.jobs(), [job.id], 'not before the time');
    clock.advance(1);
    await settle();
    assert.deepEqual(link.jobs(), [job.id, job.id], 'announced again');
    await print.openDocument(printer, job.id, null).then((d) => d.stream.destroy());
    assert.equal(await state(job.id), 'fetched');
    clock.advance(REANNOUNCE_MS * 3);
    await settle();
    assert.deepEqual(link.jobs(), [job.id, job.id], 'a fetched job is not announced again');
  });

  it('a queued push request goes down every new session, and again while unanswered; never once answered', async () => {
    const queued = await push.get(CLI, printer.id, ['1.3.6.1.2.1.1.5.0'], { queueTtlSeconds: 3600 });
    assert.ok('state' in queued && queued.state === 'queued');
    const first = new Link();
    hub.bind(printer.id, first);
    await settle();
    assert.deepEqual(first.requests(), [queued.requestId]);

    const second = new Link();
    hub.bind(printer.id, second); // restarted while still ONLINE
    await settle();
    assert.deepEqual(second.requests(), [queued.requestId], 'delivered again on the new session');

    clock.advance(REANNOUNCE_MS);
    await settle();
    assert.deepEqual(second.requests(), [queued.requestId, queued.requestId], 'delivered again when unanswered');

    assert.ok(await push.answer(printer.id, queued.requestId, { objects: [{ oid: '1.3.6.1.2.1.1.5.0', type: 'string', value: 'ep' }] }));
    assert.equal(push.status(await push.queued(CLI, queued.requestId)), 'answered');
    clock.advance(REANNOUNCE_MS * 3);
    const third = new Link();
    hub.bind(printer.id, third);
    await settle();
    assert.equal(second.requests().length, 2, 'an answered request is not sent again');
    assert.deepEqual(third.requests(), [], 'nor down a later session');
  });
});
