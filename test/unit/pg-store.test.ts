/**
 * The PostgreSQL adapter's own guarantees. Runs on PostgreSQL whatever store the rest of the
 * suite tests (it connects by itself, and fails if it cannot): the local server unless
 * FLEETRELAY_TEST_RUN_DATABASE_URL or FLEETRELAY_TEST_DATABASE_URL names another.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Device } from '../../src/domain/devices.js';
import { EMPTY_REGISTRY } from '../../src/domain/devices.js';
import type { StoredReport } from '../../src/domain/reports.js';
import { createPool, migrate, schemaVersion } from '../../src/store/postgres/open.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { SchemaTooNewError, type Store } from '../../src/store/store.js';
import { openStore } from '../../src/stores.js';
import { tempDir } from '../helpers/relay.js';

const SERVER = process.env.FLEETRELAY_TEST_RUN_DATABASE_URL || process.env.FLEETRELAY_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

let admin: pg.Client;
const schemas: string[] = [];

/** The URL of a new, empty schema on the server (the search_path trick of test/helpers/store.ts). */
async function freshSchema(): Promise<string> {
  const schema = `pgstore_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  schemas.push(schema);
  const u = new URL(SERVER);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

const open = async (url: string): Promise<Store> => openStore({ dataDir: tempDir(), databaseUrl: url });

const device = (id: string, at: number): Device => ({
  id,
  accountId: 'acc',
  serial: `S-${id}`,
  model: 'MP C3004',
  tags: [],
  capabilities: { functions: ['print'] },
  registry: EMPTY_REGISTRY,
  firmwareVersion: null,
  firmwareTarget: null,
  online: true,
  lastSeenAt: at + 333,
  createdAt: at,
  updatedAt: at + 1,
});

async function withDevice(url: string, at: number): Promise<{ store: Store; d: Device }> {
  const store = await open(url);
  await store.accounts.insert({ id: 'acc', name: 'Account', createdAt: at, statusPollSeconds: null, supplyLowPercent: 10 });
  const d = device('dpg1', at);
  await store.devices.insert(d, null);
  return { store, d };
}

describe('the PostgreSQL store', () => {
  before(async () => {
    admin = new pg.Client({ connectionString: SERVER, connectionTimeoutMillis: 10_000 });
    // No skip: a run without PostgreSQL must fail here, not pass by testing nothing.
    await admin.connect();
  });

  after(async () => {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  });

  it('migrates a fresh schema once when five processes start at once', async () => {
    const url = await freshSchema();
    const pools = Array.from({ length: 5 }, () => createPool(url, 2));
    try {
      const runs = await Promise.all(pools.map((p) => migrate(p)));
      assert.equal(runs.filter((r) => r.from === 0).length, 1, 'one of them migrated');
      for (const r of runs) assert.equal(r.to, SCHEMA_VERSION);
      assert.equal(SCHEMA_VERSION, 4);
      assert.equal(await schemaVersion(pools[0]!), SCHEMA_VERSION);
      const rows = await pools[0]!.query('SELECT version FROM fleetrelay_schema');
      assert.deepEqual(rows.rows, [{ version: SCHEMA_VERSION }]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('refuses a schema newer than it knows', async () => {
    const url = await freshSchema();
    await (await open(url)).close();
    const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
    await admin.query(`UPDATE ${schema}.fleetrelay_schema SET version = 99`);
    await assert.rejects(open(url), (err: unknown) => err instanceof SchemaTooNewError && err.found === 99 && err.supported === SCHEMA_VERSION);
  });

  it("never stores a lower counters report after a higher one of the same device, however two in flight interleave", async () => {
    const url = await freshSchema();
    const t0 = 1_700_000_000_000;
    const { store, d } = await withDevice(url, t0);
    try {
      const report = (total: number, at: number): Omit<StoredReport, 'reception'> => ({
        deviceId: d.id, accountId: d.accountId, type: 'counters', namespace: null, code: null, text: null,
        quantity: null, total, mono: total, colour: 0, via: 'json', receivedAt: at,
      });
      const insert = (total: number, at: number) =>
        store.reports.insertCounters(report(total, at), (last) => (last && total < last.total ? `lower than ${last.total}` : null));
      let lowRefused = 0;
      for (let i = 1; i <= 50; i++) {
        const [high, low] = [100 * i + 20, 100 * i + 10];
        const at = t0 + i * 1000;
        // Which one starts first alternates, so both orders are tried.
        const [h, l] = i % 2
          ? await Promise.all([insert(high, at), insert(low, at)])
          : await Promise.all([insert(low, at), insert(high, at)]).then(([x, y]) => [y, x] as const);
        assert.equal(typeof h, 'number', `round ${i}: the higher one is always stored`);
        if (typeof l === 'number') assert.ok(l < (h as number), `round ${i}: the lower one was stored after the higher one`);
        else lowRefused++;
      }
      const reads = await store.reports.list({ deviceId: d.id, limit: 1000 });
      const totals = reads.reverse().map((r) => r.total!);
      for (let i = 1; i < totals.length; i++) assert.ok(totals[i]! >= totals[i - 1]!, `went down at ${i}: ${totals[i - 1]} → ${totals[i]}`);
      assert.ok(lowRefused > 0, 'the race was run: a lower report came second at least once');
    } finally {
      await store.close();
    }
  });

  it('writes the revocation log in commit order: a second writer waits for the first to commit', async () => {
    const url = await freshSchema();
    const { store } = await withDevice(url, 1_700_000_000_000);
    await store.devices.insert(device('dpg2', 1_700_000_000_000), null);
    await store.devices.setTokenHash('dpg1', 'h1', 1_700_000_001_000);
    await store.devices.setTokenHash('dpg2', 'h2', 1_700_000_001_000);
    const before = await store.devices.lastRevocation();
    const first = new pg.Client(url);
    await first.connect();
    try {
      await first.query('BEGIN');
      await first.query(`UPDATE devices SET token_hash = 'h1b', updated_at = now() WHERE id = 'dpg1'`);
      // A reader is not held up while the first writer is open.
      assert.equal(await store.devices.lastRevocation(), before);
      let secondDone = false;
      const second = store.devices.setTokenHash('dpg2', 'h2b', 1_700_000_002_000).then(() => (secondDone = true));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(secondDone, false, 'the second writer waits for the first to commit');
      await first.query('COMMIT');
      await second;
      const log = await store.devices.revocationsAfter(before, 10);
      assert.deepEqual(log.map((e) => e.deviceId), ['dpg1', 'dpg2'], 'seq order is commit order');
    } finally {
      await first.end();
      await store.close();
    }
  });

  it('keeps timestamps to the millisecond', async () => {
    const url = await freshSchema();
    const { store, d } = await withDevice(url, 1_700_000_000_123);
    try {
      const back = await store.devices.get(d.id);
      assert.equal(back?.createdAt, 1_700_000_000_123);
      assert.equal(back?.updatedAt, 1_700_000_000_124);
      assert.equal(back?.lastSeenAt, 1_700_000_000_456);
      assert.deepEqual(back, d);
      await store.devices.savePresence([{ deviceId: d.id, online: false, lastSeenAt: 1_700_000_999_999 }]);
      assert.equal((await store.devices.get(d.id))?.lastSeenAt, 1_700_000_999_999);
    } finally {
      await store.close();
    }
  });
});
