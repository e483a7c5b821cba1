/**
 * The same fleet history written through the services into both stores gives the same answers:
 * billing CSV byte for byte in a zone with daylight saving (reads on period edges, to the
 * millisecond), and the same reports, alerts and devices. Runs in both halves of the suite and
 * always needs PostgreSQL: it fails when it cannot reach it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Principal } from '../../src/domain/principal.js';
import { openStore } from '../../src/stores.js';
import type { Store } from '../../src/store/store.js';
import { ManualClock } from '../helpers/clock.js';
import { seededRandom } from '../helpers/random.js';
import { tempDir } from '../helpers/relay.js';
import { reportService, serviceRig } from '../helpers/services.js';
import { postgresUrlFor } from '../helpers/store.js';

const CLI: Principal = { kind: 'cli' };
const ZONE = 'America/New_York';
/** 2026-10-01 00:00 in New York (EDT, UTC-4). */
const OCT_1 = Date.UTC(2026, 9, 1, 4);
/** 2026-11-01 00:00 in New York: still EDT; clocks go back at 02:00 that day. */
const NOV_1 = Date.UTC(2026, 10, 1, 4);
const HOUR = 3600_000;

async function history(store: Store): Promise<{ csv: string; reports: unknown; alerts: unknown; devices: unknown }> {
  const clock = new ManualClock(OCT_1 - 1);
  const rig = await serviceRig({ clock, store, timeZone: ZONE, random: seededRandom('parity') });
  const { s } = rig;
  const reports = reportService(rig);
  const a = (await s.devices.provision(CLI, { serial: 'PAR-1', model: 'MP C3004' })).device;
  const b = (await s.devices.provision(CLI, { serial: 'PAR-2', model: 'MP C3004' })).device;
  await s.devices.update(CLI, a.id, { registrationNumber: '777001', installationPlace: 'Floor 3, "east"' });
  const read = async (id: string, at: number, total: number, mono: number) => {
    clock.advance(at - clock.now());
    await reports.ingest((await store.devices.get(id))!, { kind: 'counters', total, mono, colour: total - mono }, 'json');
  };
  await read(a.id, OCT_1 - 1, 1000, 800); // 1 ms before the period: its start
  await read(b.id, OCT_1, 5000, 4000); // on the first instant: inside, and the start
  await read(a.id, OCT_1 + 14 * 24 * HOUR + 1, 1500, 1100);
  await read(a.id, NOV_1 - 1, 2000, 1500); // the last instant inside
  await read(b.id, NOV_1, 9000, 7000); // the first instant of the next period: outside
  await read(a.id, NOV_1 + 2 * HOUR + 123, 2100, 1550); // in the repeated hour after DST ends
  clock.advance(NOV_1 + 3 * HOUR - clock.now());
  await reports.ingest((await store.devices.get(a.id))!, { kind: 'error', namespace: 'error', code: '341' }, 'json');
  await reports.ingest((await store.devices.get(b.id))!, { kind: 'user-report', text: 'paper tray 2 rattles' }, 'json');

  let csv = '';
  for await (const line of s.billing.csv(CLI, '2026-10-01', '2026-11-01')) csv += line;
  for await (const line of s.billing.csv(CLI, '2026-11-01', '2026-11-02')) csv += line;
  const listed = await s.devices.list(CLI, { limit: 10 });
  return {
    csv,
    reports: await store.reports.list({ limit: 50 }),
    alerts: await store.alerts.list({ limit: 50 }),
    devices: listed.items.map((d) => ({ ...d })),
  };
}

describe('SQLite and PostgreSQL give the same answers for the same history', () => {
  const stores: Store[] = [];
  after(async () => {
    for (const st of stores) await st.close();
  });

  it('billing CSV byte for byte across daylight saving, and the same reports, alerts and devices', async () => {
    const dataDir = tempDir();
    const sqlite = await openStore({ dataDir: tempDir() });
    const postgres = await openStore({ dataDir, databaseUrl: postgresUrlFor(dataDir) });
    stores.push(sqlite, postgres);
    const onSqlite = await history(sqlite);
    const onPostgres = await history(postgres);
    assert.match(onSqlite.csv, /777001/);
    assert.equal(onPostgres.csv, onSqlite.csv);
    assert.deepEqual(onPostgres.reports, onSqlite.reports);
    assert.deepEqual(onPostgres.alerts, onSqlite.alerts);
    assert.deepEqual(onPostgres.devices, onSqlite.devices);
  });
});
