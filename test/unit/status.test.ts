import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrinterMib } from '../../src/device/sim/printer-mib.js';
import { EMPTY_STATUS, errorBits, historyPoints, lowSupplies, mergeCounters, mergePoll, STATUS_OID, STATUS_OIDS, statusFromObjects } from '../../src/domain/status.js';
import { MAX_OBJECTS } from '../../src/domain/push.js';
import { DEFAULT_TICKET } from '../../src/domain/print.js';
import type { Principal } from '../../src/domain/principal.js';
import { ManualClock } from '../helpers/clock.js';
import { serviceRig } from '../helpers/services.js';
import { StatusService } from '../../src/services/management/status.js';
import { AlertService } from '../../src/services/management/alerts.js';
import { ServiceError } from '../../src/services/kernel/errors.js';

const CLI: Principal = { kind: 'cli' };

describe('device status from the Printer MIB (domain)', () => {
  it("reads a virtual MFP's answer to the status poll: supplies, counter, states; absent rows are left out", () => {
    assert.ok(STATUS_OIDS.length <= MAX_OBJECTS, 'one push carries the whole poll');
    const mib = new PrinterMib({ model: 'MP C3004', serial: 'S-1' }, () => 0);
    mib.print(750);
    const s = statusFromObjects(mib.get([...STATUS_OIDS]), 1234);
    assert.deepEqual(s.supplies, [
      { index: 1, description: 'Black Toner Cartridge TN-2420', kind: 'tonerCartridge', colour: 'black', level: 2250, max: 3000, percent: 75 },
      { index: 2, description: 'Drum Unit DR-2400', kind: 'opc', colour: null, level: 11250, max: 12000, percent: 94 },
    ]);
    assert.deepEqual(s.counters, { total: 750, mono: null, colour: null });
    assert.deepEqual([s.deviceState, s.printerState, s.errors, s.polledAt], ['running', 'idle', [], 1234]);
  });

  it("decodes hrPrinterDetectedErrorState's bits, first octet's high bit first, and unknown levels as null", () => {
    assert.deepEqual(errorBits('2400'), ['lowToner', 'jammed']);
    assert.deepEqual(errorBits('0140'), ['serviceRequested', 'outputTrayMissing']);
    assert.deepEqual(errorBits('zz'), []);
    const s = statusFromObjects(
      [
        { oid: STATUS_OID.supplyDescription(3), type: 'string', value: 'Cyan Ink' },
        { oid: STATUS_OID.supplyLevel(3), type: 'integer', value: '-3' },
        { oid: STATUS_OID.supplyMaxCapacity(3), type: 'integer', value: '-2' },
        { oid: STATUS_OID.supplyType(3), type: 'integer', value: '99' },
        { oid: STATUS_OID.hrDeviceStatus, error: 'noSuchObject' },
      ],
      0,
    );
    assert.deepEqual(s.supplies, [{ index: 3, description: 'Cyan Ink', kind: 'other(99)', colour: 'cyan', level: null, max: null, percent: null }]);
    assert.equal(s.deviceState, null);
  });

  it('a poll keeps the mono and colour counters a report gave; a report keeps the supplies; history points follow', () => {
    const mib = new PrinterMib({ model: 'M', serial: 'S' }, () => 0);
    const reported = mergeCounters(EMPTY_STATUS, { total: 900, mono: 600, colour: 300 }, 10);
    const polled = mergePoll(reported, statusFromObjects(mib.get([...STATUS_OIDS]), 20));
    assert.deepEqual(polled.counters, { total: 0, mono: 600, colour: 300 });
    assert.equal(polled.reportedAt, 10);
    assert.deepEqual(mergeCounters(polled, { total: 950, mono: 640, colour: 310 }, 30).supplies, polled.supplies);
    assert.deepEqual(
      historyPoints(polled, 20).map((p) => `${p.object}=${p.value}`),
      ['supply.1=100', 'supply.2=100', 'counter.total=0', 'counter.mono=600', 'counter.colour=300'],
    );
    mib.print(2800);
    assert.deepEqual(lowSupplies(mergePoll(polled, statusFromObjects(mib.get([...STATUS_OIDS]), 40)), 10).map((s) => s.index), [1]);
  });
});

describe('StatusService', () => {
  it('stores polls and counters reports, and answers history by object and time, in the store', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const { s } = await serviceRig({ clock });
    const status = new StatusService(s.ctx, s.devices, new AlertService(s.ctx), 86400_000);
    const d = (await s.devices.provision(CLI, { serial: 'ST-1', model: 'MP C3004' })).device;
    const mib = new PrinterMib({ model: 'MP C3004', serial: 'ST-1' }, () => clock.now());
    await status.polled(d.id, mib.get([...STATUS_OIDS]));
    clock.advance(3600_000);
    mib.print(300);
    await status.polled(d.id, mib.get([...STATUS_OIDS]));
    clock.advance(60_000);
    await status.counters(d.id, { total: 300, mono: 200, colour: 100 });
    const last = await status.last(d.id);
    assert.deepEqual(last.counters, { total: 300, mono: 200, colour: 100 });
    assert.equal(last.supplies[0]!.percent, 90);
    const toner = await status.history(CLI, d.id, { object: 'supply.1' });
    assert.deepEqual(toner.map((p) => p.value), [100, 90]);
    const all = await status.history(CLI, d.id, { from: clock.now() - 30_000 });
    assert.deepEqual(all.map((p) => p.object).sort(), ['counter.colour', 'counter.mono', 'counter.total'], 'a report adds counters only');
    await assert.rejects(status.history(CLI, d.id, { object: 'supply.x' }), (e: unknown) => e instanceof ServiceError && e.problem === 'validation-failed');
    clock.advance(86400_000 - 30 * 60_000);
    assert.equal(await status.sweep(), 3, "the first poll's points have aged out of the keep time, the second's not yet");
  });

  it('a poll that sees a supply go low opens one alert (stored as a poll report); a new cartridge resolves it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const { s } = await serviceRig({ clock });
    const alerts = new AlertService(s.ctx);
    const status = new StatusService(s.ctx, s.devices, alerts);
    const d = (await s.devices.provision(CLI, { serial: 'LOW-1', model: 'MP C3004' })).device;
    const mib = new PrinterMib({ model: 'MP C3004', serial: 'LOW-1' }, () => clock.now());
    const poll = () => status.polled(d.id, mib.get([...STATUS_OIDS]));
    await poll();
    mib.print(2600); // toner 400 of 3000: 13 %
    await poll();
    assert.equal((await alerts.list(CLI, { deviceId: d.id })).length, 0);
    mib.print(200); // 7 %
    await poll();
    mib.print(50);
    await poll();
    const open = await alerts.list(CLI, { deviceId: d.id, state: 'open' });
    assert.deepEqual(open.map((a) => [a.type, a.key, a.count]), [['consumable-low', 'supply:1', 1]], 'once, not once a poll');
    assert.match(open[0]!.description, /^Black Toner Cartridge TN-2420 is at 7 %$/);
    const [report] = await s.ctx.store.reports.list({ deviceId: d.id, limit: 1 });
    assert.deepEqual([report!.type, report!.via, report!.code], ['consumable-low', 'poll', 'supply.1']);
    mib.refill(1);
    await poll();
    assert.equal((await alerts.list(CLI, { deviceId: d.id, state: 'open' })).length, 0, 'resolved by the new cartridge');
  });

  it('a printer stopped with a job processing opens an alert; printing again resolves it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const { s } = await serviceRig({ clock });
    const alerts = new AlertService(s.ctx);
    const status = new StatusService(s.ctx, s.devices, alerts);
    const d = (await s.devices.provision(CLI, { serial: 'JAM-1', model: 'MP C3004' })).device;
    const jammed = [{ oid: STATUS_OID.hrDeviceStatus, type: 'integer' as const, value: '3' }, { oid: STATUS_OID.hrPrinterDetectedErrorState, type: 'octets' as const, value: '0400' }];
    await status.polled(d.id, jammed);
    assert.equal((await alerts.list(CLI, { deviceId: d.id })).length, 0, 'a jam with nothing to print is no alert');
    const now = clock.now();
    await s.ctx.store.print.insertJob({
      id: 'job-1', deviceId: d.id, accountId: d.accountId, state: 'processing', name: 'report.pdf', documentType: 'application/pdf', documentSize: 1, documentSha256: 'x',
      documentDeleted: false, ticket: DEFAULT_TICKET, source: 'api', createdBy: 'cli', createdAt: now, updatedAt: now,
    });
    await status.polled(d.id, jammed);
    const [a] = await alerts.list(CLI, { deviceId: d.id, state: 'open' });
    assert.deepEqual([a?.type, a?.key, a?.code], ['abnormal', 'printer-stuck', 'jammed']);
    assert.match(a!.description, /printing stopped \(jammed\) with job job-1 processing/);
    await status.polled(d.id, [{ oid: STATUS_OID.hrDeviceStatus, type: 'integer', value: '2' }, { oid: STATUS_OID.hrPrinterDetectedErrorState, type: 'octets', value: '0000' }]);
    assert.equal((await alerts.list(CLI, { deviceId: d.id, state: 'open' })).length, 0);
  });
});
