import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { billingLine, csvCell, parseBillingTime } from '../../src/domain/billing.js';
import { ManualClock } from '../helpers/clock.js';
import { reportService, serviceRig } from '../helpers/services.js';
import type { Principal } from '../../src/domain/principal.js';
import { ServiceError } from '../../src/services/kernel/errors.js';

const CLI: Principal = { kind: 'cli' };
const DAY = 86400_000;

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split('\r\n');
  const cols = header!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i]!, v])));
}

describe('billing', () => {
  it('takes a month of daily reads, with a board swap and its offset, to one CSV line per device', async () => {
    const clock = new ManualClock(Date.UTC(2026, 9, 31, 12)); // 31 Oct, noon UTC
    const rig = await serviceRig({ clock, timeZone: 'Asia/Tokyo' });
    const { store, s } = rig;
    const reports = reportService(rig);
    const { device } = await s.devices.provision(CLI, { serial: 'BILL-1', model: 'MP C3004' });
    await s.devices.update(CLI, device.id, { registrationNumber: '123456', installationPlace: '=HYPERLINK("http://evil")' });
    const idle = (await s.devices.provision(CLI, { serial: 'BILL-2', model: 'MP C3004' })).device;

    let total = 10_000;
    let mono = 8_000;
    const read = async () => reports.ingest((await store.devices.get(device.id))!, { kind: 'counters', total, mono, colour: total - mono }, 'json');
    await read(); // 31 Oct: before the period
    for (let day = 1; day <= 30; day++) {
      clock.advance(DAY);
      total += 100;
      mono += 60;
      if (day === 15) {
        // The controller board is swapped: counters restart at zero. Without an offset the read is refused.
        await assert.rejects(reports.ingest((await store.devices.get(device.id))!, { kind: 'counters', total: 50, mono: 30, colour: 20 }, 'json'), (e: unknown) => e instanceof ServiceError && e.problem === 'conflict');
        await s.billing.addOffset(CLI, device.id, { total: total - 100, mono: mono - 60, colour: total - 100 - (mono - 60) });
        total = 100;
        mono = 60;
        await reports.ingest((await store.devices.get(device.id))!, { kind: 'counters', total, mono, colour: total - mono }, 'json');
        continue;
      }
      await read();
    }

    // November in Tokyo: 1 Nov 00:00 JST = 31 Oct 15:00 UTC, so the 31 Oct noon read is the start.
    let csv = '';
    for await (const line of s.billing.csv(CLI, '2026-11-01', '2026-12-01')) csv += line;
    const rows = parseCsv(csv);
    assert.equal(rows.length, 2);
    const row = rows.find((r) => r.serial === 'BILL-1')!;
    assert.equal(row.start_total, '10000');
    assert.equal(row.end_total, String(10_000 + 30 * 100));
    assert.equal(row.delta_total, '3000');
    assert.equal(row.delta_mono, '1800');
    assert.equal(row.delta_colour, '1200');
    assert.equal(row.installation_place, `"'=HYPERLINK(""http://evil"")"`);
    assert.equal(row.registration_number, '123456');
    const none = rows.find((r) => r.serial === 'BILL-2')!;
    assert.equal(none.delta_total, '', 'a device without reads bills nothing');
    assert.equal(none.device_id, idle.id);

    // Half the month: [1 Nov, 16 Nov) Tokyo.
    csv = '';
    for await (const line of s.billing.csv(CLI, '2026-11-01', '2026-11-16')) csv += line;
    assert.equal(parseCsv(csv).find((r) => r.serial === 'BILL-1')!.delta_total, '1500');
    await assert.rejects(async () => {
      for await (const _ of s.billing.csv(CLI, '2026-12-01', '2026-11-01'));
    }, /from must be before to/);
    await assert.rejects(async () => {
      for await (const _ of s.billing.csv(CLI, 'yesterday', '2026-11-01'));
    }, /not a date/);
  });

  it('reads the period in the configured time zone, across daylight saving', () => {
    assert.equal(new Date(parseBillingTime('2026-11-01', 'Asia/Tokyo')).toISOString(), '2026-10-31T15:00:00.000Z');
    assert.equal(new Date(parseBillingTime('2026-03-08', 'America/New_York')).toISOString(), '2026-03-08T05:00:00.000Z');
    assert.equal(new Date(parseBillingTime('2026-03-09', 'America/New_York')).toISOString(), '2026-03-09T04:00:00.000Z');
    assert.throws(() => parseBillingTime('2026-02-30', 'UTC'), /not a date/);
  });

  it('picks start and end reads and escapes cells', () => {
    const reads = [10, 20, 30, 40].map((at) => ({ at, total: at * 10, mono: at, colour: at * 9 }));
    assert.deepEqual(billingLine(reads, 25, 35).delta, { total: 100, mono: 10, colour: 90 });
    assert.deepEqual(billingLine(reads, 0, 15).start?.at, 10);
    assert.equal(billingLine(reads, 50, 60).delta?.total, 0, 'no reads inside: the last one before is start and end');
    assert.equal(billingLine([], 0, 10).delta, null);
    for (const [v, out] of [['=1+1', "'=1+1"], ['+1', "'+1"], ['-1', "'-1"], ['@SUM(A1)', "'@SUM(A1)"], ['a,b', '"a,b"'], [-5, '-5'], [null, '']] as const)
      assert.equal(csvCell(v), out);
  });
});
