import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrinterMib } from '../../src/device/sim/printer-mib.js';
import { dayOf, everyDay, sampleSlot, SAMPLE_MS } from '../../src/domain/fleet.js';
import { complianceOf, pickUpdate, targetOf } from '../../src/domain/firmware.js';
import type { Principal } from '../../src/domain/principal.js';
import { daysLeft, pagesBetween, STATUS_OIDS } from '../../src/domain/status.js';
import { ServiceError } from '../../src/services/kernel/errors.js';
import { AlertService } from '../../src/services/management/alerts.js';
import { FleetService } from '../../src/services/management/fleet.js';
import { StatusService } from '../../src/services/management/status.js';
import { StatusPoller } from '../../src/services/management/status-poll.js';
import { BulkService } from '../../src/services/management/bulk.js';
import { PushService } from '../../src/services/push/push.js';
import { cryptoRandom } from '../../src/services/kernel/secrets.js';
import { until } from '../helpers/relay.js';
import { cursorKey } from '../../src/store/device-list.js';
import { encodeCursor } from '../../src/store/rows.js';
import { ManualClock } from '../helpers/clock.js';
import { serviceRig } from '../helpers/services.js';

const CLI: Principal = { kind: 'cli' };
const DAY = 86400_000;

describe('fleet figures (domain)', () => {
  it('days left: a line through the readings since the last new cartridge; none when the level does not fall', () => {
    const t0 = Date.UTC(2026, 10, 1);
    const falling = [0, 1, 2, 3].map((d) => ({ at: t0 + d * DAY, value: 80 - d * 10 }));
    assert.equal(daysLeft(falling, t0 + 3 * DAY), 5, '50 % left at 10 % a day');
    const refilled = [{ at: t0 - DAY, value: 5 }, ...falling];
    assert.equal(daysLeft(refilled, t0 + 3 * DAY), 5, 'the old cartridge does not count');
    assert.equal(daysLeft([{ at: t0, value: 50 }, { at: t0 + DAY, value: 50 }], t0 + DAY), null);
    assert.equal(daysLeft([{ at: t0, value: 50 }], t0), null);
    assert.equal(daysLeft(falling, t0 + 30 * DAY), 0, 'past empty is none left');
  });

  it('pages between readings, never negative; every day in a range; slots', () => {
    assert.equal(pagesBetween({ total: 100, mono: null, colour: null }, { total: 130, mono: null, colour: null }), 30);
    assert.equal(pagesBetween({ total: 100, mono: null, colour: null }, { total: 10, mono: null, colour: null }), 0, 'a replaced board');
    assert.equal(pagesBetween({ total: null, mono: null, colour: null }, { total: 10, mono: null, colour: null }), 0, 'a first reading is no pages');
    const t = Date.UTC(2026, 10, 28, 13);
    assert.deepEqual(
      everyDay([{ day: '2026-11-29', jobs: 2, pages: 9 }], t, t + 2 * DAY).map((d) => `${d.day}:${d.jobs}`),
      ['2026-11-28:0', '2026-11-29:2', '2026-11-30:0'],
    );
    assert.equal(sampleSlot(t + SAMPLE_MS - 1), t + 0, 'the hour starts a slot');
    assert.equal(dayOf(t), '2026-11-28');
  });

  it("firmware: a model's target is its newest program offered; devices are current at or past it", () => {
    const programs = [
      { version: '1.9', rolloutPercent: 100 },
      { version: '1.10', rolloutPercent: 20 },
      { version: '2.0', rolloutPercent: 0 },
    ];
    assert.equal(targetOf(programs)?.version, '1.10');
    assert.equal(targetOf([{ version: '2.0', rolloutPercent: 0 }]), null);
    assert.equal(complianceOf('1.10', '1.10'), 'current');
    assert.equal(complianceOf('2.0', '1.10'), 'current');
    assert.equal(complianceOf('1.9', '1.10'), 'behind');
    assert.equal(complianceOf(null, '1.10'), 'unknown');
  });

  it("refuses a cursor of another order or a made-up one", () => {
    assert.deepEqual(cursorKey('id', encodeCursor('d-1')), ['d-1']);
    assert.deepEqual(cursorKey('seen', encodeCursor(JSON.stringify([5, 'd-1']))), [5, 'd-1']);
    assert.equal(cursorKey('seen', encodeCursor(JSON.stringify(['x', 'd-1']))), null);
    assert.equal(cursorKey('serial', encodeCursor('d-1')), null);
    assert.equal(cursorKey('model', encodeCursor('[1,2,3]')), null);
  });
});

describe('device list orders and filters, fleet figures (services over the store)', () => {
  it('pages through every order without losing or repeating a device; a foreign cursor is refused', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const { s, store } = await serviceRig({ clock });
    const made = [];
    for (let i = 0; i < 23; i++) made.push((await s.devices.provision(CLI, { serial: `S-${(i * 7) % 23}`.padEnd(6, 'x'), model: ['MP C3004', 'EP-884A', 'HL-L2350'][i % 3]! })).device);
    // Some seen at various times, some never.
    await store.devices.savePresence(made.filter((_, i) => i % 4).map((d, i) => ({ deviceId: d.id, online: i % 2 === 0, lastSeenAt: clock.now() - ((i * 37) % 11) * 60_000 })));
    const all = (await s.devices.list(CLI, { limit: 100 })).items;
    const orders = {
      id: (a: (typeof all)[0], b: (typeof all)[0]) => (a.id < b.id ? -1 : 1),
      serial: (a: (typeof all)[0], b: (typeof all)[0]) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : a.id < b.id ? -1 : 1),
      model: (a: (typeof all)[0], b: (typeof all)[0]) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.serial < b.serial ? -1 : 1),
      seen: (a: (typeof all)[0], b: (typeof all)[0]) => (a.lastSeenAt ?? 0) - (b.lastSeenAt ?? 0) || (a.id < b.id ? -1 : 1),
    };
    for (const [sort, cmp] of Object.entries(orders) as [keyof typeof orders, typeof orders.id][]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.devices.list(CLI, { sort, cursor, limit: 4 });
        assert.equal(page.total, 23);
        seen.push(...page.items.map((d) => d.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, [...all].sort(cmp).map((d) => d.id), `order ${sort}`);
    }
    const first = await s.devices.list(CLI, { sort: 'serial', limit: 4 });
    await assert.rejects(s.devices.list(CLI, { sort: 'seen', cursor: first.nextCursor!, limit: 4 }), (e: unknown) => e instanceof ServiceError && e.problem === 'validation-failed');
  });

  it('finds devices with a supply low or on a firmware version; counts pages and jobs a day; samples devices online; lists supplies running out', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 9));
    const { s, store } = await serviceRig({ clock });
    await s.accounts.addAccount(CLI, 'acme');
    const status = new StatusService(s.ctx, s.devices, new AlertService(s.ctx));
    const fleet = new FleetService(s.ctx, 30 * DAY);
    const low = (await s.devices.provision(CLI, { serial: 'LOW-1', model: 'MP C3004' })).device;
    const fine = (await s.devices.provision(CLI, { serial: 'OK-1', model: 'MP C3004' })).device;
    const acme = (await s.devices.provision(CLI, { serial: 'ACME-1', model: 'MP C3004', accountId: 'acme' })).device;
    const mibs = new Map([low, fine, acme].map((d) => [d.id, new PrinterMib({ model: d.model, serial: d.serial }, () => clock.now())]));
    const poll = async () => {
      for (const [id, mib] of mibs) await status.polled(id, mib.get([...STATUS_OIDS]));
    };
    await poll();
    for (let day = 0; day < 4; day++) {
      clock.advance(DAY);
      mibs.get(low.id)!.print(650); // toner 3000 → 400 in four days: 13 %
      mibs.get(fine.id)!.print(10);
      mibs.get(acme.id)!.print(700);
      await poll();
    }
    await s.ctx.store.firmware.setDeviceVersion(fine.id, '1.2');
    mibs.get(low.id)!.print(150); // 8 %
    await poll();

    const operator: Principal = { kind: 'token', tokenId: 't', accountId: 'default', admin: false };
    assert.deepEqual((await s.devices.list(operator, { supplyLow: true })).items.map((d) => d.id), [low.id], "acme's low device is not the default account's");
    assert.deepEqual((await s.devices.list(CLI, { supplyLow: true })).items.map((d) => d.id).sort(), [low.id, acme.id].sort());
    assert.deepEqual((await s.devices.list(CLI, { firmware: '1.2' })).items.map((d) => d.id), [fine.id]);

    const running = await fleet.runningLow(operator, 10);
    assert.deepEqual(running.map((r) => [r.device.id, r.supply.index, r.supply.percent]), [[low.id, 1, 8]]);
    assert.ok(running[0]!.daysLeft !== null && running[0]!.daysLeft > 0.2 && running[0]!.daysLeft < 2, `about a day left: ${running[0]!.daysLeft}`);

    const days = await fleet.days(operator, 7);
    assert.equal(days.length, 7);
    assert.equal(days.at(-1)!.day, dayOf(clock.now()));
    assert.equal(days.reduce((a, d) => a + d.pages, 0), 4 * 650 + 150 + 4 * 10, 'pages of the account only');
    assert.equal((await fleet.days(CLI, 7)).reduce((a, d) => a + d.pages, 0), 4 * 650 + 150 + 4 * 10 + 4 * 700);

    await store.devices.savePresence([{ deviceId: low.id, online: true, lastSeenAt: clock.now() }, { deviceId: acme.id, online: true, lastSeenAt: clock.now() }]);
    await fleet.sweep();
    clock.advance(60_000);
    await store.devices.savePresence([{ deviceId: fine.id, online: true, lastSeenAt: clock.now() }]);
    await fleet.sweep(); // same slot: no second sample
    clock.advance(SAMPLE_MS);
    await fleet.sweep();
    assert.deepEqual((await fleet.online(operator, 1)).map((x) => [x.devices, x.online]), [[2, 1], [2, 2]]);
    assert.deepEqual((await fleet.online(CLI, 1)).map((x) => [x.devices, x.online]), [[3, 2], [3, 3]]);
  });

  it("firmware compliance counts each model's devices by version against its target, per account", async () => {
    const { s, store } = await serviceRig();
    await s.accounts.addAccount(CLI, 'acme');
    const ds = [];
    for (const [serial, accountId] of [['A', 'default'], ['B', 'default'], ['C', 'default'], ['D', 'acme']] as const) ds.push((await s.devices.provision(CLI, { serial, model: 'MP C3004', accountId })).device);
    await store.firmware.setDeviceVersion(ds[0]!.id, '2.0');
    await store.firmware.setDeviceVersion(ds[1]!.id, '1.0');
    await store.firmware.setDeviceVersion(ds[3]!.id, '1.0');
    await store.firmware.insert({ id: 'fw-1', model: 'MP C3004', version: '2.0', size: 1, sha256: 'x', signature: 'x', rolloutPercent: 30, uploadedAt: 0, uploadedBy: 'cli' });
    const operator: Principal = { kind: 'token', tokenId: 't', accountId: 'default', admin: false };
    const [m] = await s.firmware.compliance(operator);
    assert.equal(m!.target?.version, '2.0');
    assert.deepEqual(m!.versions, [
      { version: '2.0', devices: 1, state: 'current' },
      { version: '1.0', devices: 1, state: 'behind' },
      { version: null, devices: 1, state: 'unknown' },
    ]);
    assert.deepEqual((await s.firmware.compliance(CLI))[0]!.versions.find((v) => v.version === '1.0')?.devices, 2);
    await assert.rejects(s.firmware.deviceHistory(operator, ds[3]!.id), (e: unknown) => e instanceof ServiceError && e.problem === 'not-found');
  });
});

describe("an account's own status poll interval and supply-low mark; firmware assigned to devices", () => {
  it('polls each device at its account\'s interval (none when 0, the relay\'s when unset) and records the transport', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const { s } = await serviceRig({ clock });
    await s.accounts.addAccount(CLI, 'fast');
    await s.accounts.addAccount(CLI, 'quiet');
    await s.accounts.updateAccount(CLI, 'fast', { statusPollSeconds: 120 });
    await s.accounts.updateAccount(CLI, 'quiet', { statusPollSeconds: 0 });
    await assert.rejects(s.accounts.updateAccount(CLI, 'fast', { statusPollSeconds: 5 }), (e: unknown) => e instanceof ServiceError && e.problem === 'validation-failed', 'under a minute');
    const status = new StatusService(s.ctx, s.devices, new AlertService(s.ctx));
    const ids = new Map<string, string>();
    for (const account of ['default', 'fast', 'quiet']) ids.set(account, (await s.devices.provision(CLI, { serial: `P-${account}`, model: 'MP C3004', accountId: account })).device.id);
    const asked = new Map<string, number>();
    const mib = new PrinterMib({ model: 'MP C3004', serial: 'P' }, () => clock.now());
    const push = {
      get: async (_p: Principal, deviceId: string, oids: string[]) => {
        asked.set(deviceId, (asked.get(deviceId) ?? 0) + 1);
        return { objects: mib.get(oids) };
      },
    } as unknown as PushService;
    const held = { devices: () => ids.values(), holds: () => true, transportOf: () => 'websocket' as const };
    const poller = new StatusPoller(clock, cryptoRandom(), held, push, status, { intervalMs: 900_000, concurrency: 16, timeoutSeconds: 5 }, () => undefined);
    poller.start();
    for (let i = 0; i < 60 * 60; i++) {
      clock.advance(1000);
      // The store answers in its own time (PostgreSQL over a socket): the fake clock waits for it.
      do await new Promise((r) => setImmediate(r));
      while (poller.polling > 0);
    }
    poller.stop();
    const n = (account: string) => asked.get(ids.get(account)!) ?? 0;
    assert.equal(n('quiet'), 0, 'an account that polls never');
    assert.ok(n('default') >= 3 && n('default') <= 5, `the relay's 15 min over an hour: ${n('default')}`);
    assert.ok(n('fast') >= 20 && n('fast') <= 31, `every 2 min over an hour: ${n('fast')}`);
    assert.equal((await status.last(ids.get('fast')!)).transport, 'websocket');
  });

  it("opens the supply alert at the account's mark, and the device list's supply-low filter follows it", async () => {
    const { s } = await serviceRig();
    await s.accounts.addAccount(CLI, 'careful');
    await s.accounts.updateAccount(CLI, 'careful', { supplyLowPercent: 30 });
    await assert.rejects(s.accounts.updateAccount(CLI, 'careful', { supplyLowPercent: 0 }), (e: unknown) => e instanceof ServiceError && e.problem === 'validation-failed');
    const operator: Principal = { kind: 'token', tokenId: 't', accountId: 'default', admin: false };
    await assert.rejects(s.accounts.updateAccount(operator, 'careful', { supplyLowPercent: 50 }), (e: unknown) => e instanceof ServiceError && e.problem === 'not-found', "another account's settings");
    const alerts = new AlertService(s.ctx);
    const status = new StatusService(s.ctx, s.devices, alerts);
    const careful = (await s.devices.provision(CLI, { serial: 'C-1', model: 'MP C3004', accountId: 'careful' })).device;
    const plain = (await s.devices.provision(CLI, { serial: 'D-1', model: 'MP C3004' })).device;
    for (const d of [careful, plain]) {
      const mib = new PrinterMib({ model: d.model, serial: d.serial }, () => 0);
      await status.polled(d.id, mib.get([...STATUS_OIDS]));
      mib.print(2250); // toner at 25 %
      await status.polled(d.id, mib.get([...STATUS_OIDS]));
    }
    assert.deepEqual((await alerts.list(CLI, { state: 'open' })).map((a) => a.deviceId), [careful.id]);
    assert.deepEqual((await s.devices.list(CLI, { supplyLow: true })).items.map((d) => d.id), [careful.id]);
    // A mark changed later applies at once to the devices' last status.
    await s.accounts.updateAccount(CLI, 'careful', { supplyLowPercent: 20 });
    await s.accounts.updateAccount(CLI, 'default', { supplyLowPercent: 25 });
    assert.deepEqual((await s.devices.list(CLI, { supplyLow: true })).items.map((d) => d.id), [plain.id]);
  });

  it('offers an assigned version over the rollout while the device runs an older one; a bulk job assigns it', async () => {
    assert.equal(pickUpdate([{ version: '2.0', rolloutPercent: 0 }, { version: '3.0', rolloutPercent: 0 }], 'd1', 'M', '1.0', '2.0')?.version, '2.0');
    assert.equal(pickUpdate([{ version: '2.0', rolloutPercent: 0 }], 'd1', 'M', '2.0', '2.0'), null, 'it runs it already');
    assert.equal(pickUpdate([{ version: '2.0', rolloutPercent: 100 }, { version: '3.0', rolloutPercent: 100 }], 'd1', 'M', '2.0', '2.0')?.version, '3.0', 'then the rollout again');
    const { s, sessions, store } = await serviceRig();
    await store.firmware.insert({ id: 'fw-2', model: 'MP C3004', version: '2.0', size: 1, sha256: 'x', signature: 'x', rolloutPercent: 0, uploadedAt: 0, uploadedBy: 'cli' });
    const a = (await s.devices.provision(CLI, { serial: 'A', model: 'MP C3004' })).device;
    const b = (await s.devices.provision(CLI, { serial: 'B', model: 'HL-L2350' })).device;
    const bulk = new BulkService(s.ctx, s.devices, new PushService(s.ctx, s.devices, sessions), s.firmware, 'n1');
    const { job } = await bulk.start(CLI, { action: 'firmware', filter: { deviceIds: [a.id, b.id] }, version: '2.0' });
    await until('the job is done', async () => ((await bulk.get(CLI, job.id)).job.state === 'done' ? true : undefined));
    const results = await bulk.results(CLI, job.id, { limit: 10 });
    assert.deepEqual(results.map((r) => [r.deviceId, r.state]).sort(), [[a.id, 'ok'], [b.id, 'failed']].sort());
    assert.match(results.find((r) => r.deviceId === b.id)!.detail!, /no program 2\.0 for HL-L2350/);
    assert.equal((await s.devices.get(CLI, a.id)).firmwareTarget, '2.0');
    await assert.rejects(bulk.start(CLI, { action: 'firmware', filter: { deviceIds: [a.id] }, version: 'latest' }), (e: unknown) => e instanceof ServiceError && e.problem === 'validation-failed');
  });
});
