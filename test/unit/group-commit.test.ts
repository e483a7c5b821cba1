import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ServiceError } from '../../src/services/kernel/errors.js';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';
import { openDatabase } from '../../src/store/sqlite/open.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredReport } from '../../src/domain/reports.js';
import { reportService, serviceRig } from '../helpers/services.js';
import { tempDir } from '../helpers/relay.js';
import { ON_POSTGRES } from '../helpers/store.js';

/** A database with one table, and a second connection to it: what another process would see. */
function twoConnections() {
  const dir = tempDir();
  const db = openDatabase(dir);
  db.exec(`CREATE TABLE t (v INTEGER NOT NULL UNIQUE)`);
  const other = new Database(join(dir, 'fleetrelay.db'));
  const count = (c: Database.Database): number => (c.prepare(`SELECT count(*) AS n FROM t`).get() as { n: number }).n;
  const insert = (v: number): number => Number(db.prepare(`INSERT INTO t (v) VALUES (?)`).run(v).lastInsertRowid);
  return { dir, db, other, count, insert };
}

describe('group commit (SQLite store)', () => {
  it('writes handed over in one turn of the event loop go in one transaction, in order, each caller getting its own result', async () => {
    const { db, other, count, insert } = twoConnections();
    const group = new GroupCommit(db);
    const seen: { own: number; committed: number }[] = [];
    const results = await Promise.all(
      [10, 20, 30].map((v) =>
        group.run(() => {
          seen.push({ own: count(db), committed: count(other) });
          return insert(v);
        }),
      ),
    );
    // Each write saw the ones before it; nothing was committed until the group was.
    assert.deepEqual(seen, [{ own: 0, committed: 0 }, { own: 1, committed: 0 }, { own: 2, committed: 0 }]);
    assert.deepEqual(results, [1, 2, 3]);
    assert.equal(count(other), 3);
    other.close();
    db.close();
  });

  it('a failing write fails only its own caller; the rest of the group commits', async () => {
    const { db, other, count, insert } = twoConnections();
    const group = new GroupCommit(db);
    const outcomes = await Promise.allSettled([
      group.run(() => insert(1), { oneChange: true }),
      group.run(() => insert(1), { oneChange: true }), // UNIQUE violation
      group.run(() => {
        // Two changes, then a failure: its savepoint undoes both.
        insert(100);
        insert(101);
        throw new Error('changed my mind');
      }),
      group.run(() => insert(2), { oneChange: true }),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /changed my mind/);
    assert.deepEqual(other.prepare(`SELECT v FROM t ORDER BY v`).pluck().all(), [1, 2]);
    assert.equal(count(other), 2);
    other.close();
    db.close();
  });

  it('a group is capped: more writes than the cap are written in several transactions', async () => {
    const { db, other, count, insert } = twoConnections();
    const group = new GroupCommit(db, 3);
    const committedBefore: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        group.run(() => {
          committedBefore.push(count(other));
          return insert(i);
        }),
      ),
    );
    assert.deepEqual(committedBefore, [0, 0, 0, 3, 3, 3, 6]);
    assert.equal(count(other), 7);
    other.close();
    db.close();
  });

  it('when the transaction cannot start (another process holds the write lock), every caller of the group gets the error and nothing is written', async () => {
    const { db, other, count, insert } = twoConnections();
    db.pragma('busy_timeout = 0');
    const group = new GroupCommit(db);
    other.exec('BEGIN IMMEDIATE');
    const outcomes = await Promise.allSettled([group.run(() => insert(1)), group.run(() => insert(2), { oneChange: true })]);
    other.exec('COMMIT');
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    for (const o of outcomes) assert.match(String((o as PromiseRejectedResult).reason), /locked|busy/i);
    assert.equal(count(other), 0);
    // The next group goes through.
    assert.equal(await group.run(() => insert(3)), 1);
    other.close();
    db.close();
  });

  it('closing the store writes what is waiting first', async () => {
    const dir = tempDir();
    const store = sqliteStore(openDatabase(dir), dir);
    const db = openDatabase(dir);
    db.prepare(`INSERT INTO accounts (id, name, created_at) VALUES ('default', 'Default', 1)`).run();
    db.prepare(`INSERT INTO devices (id, account_id, serial, model, capabilities, created_at, updated_at) VALUES ('d1', 'default', 'S1', 'M', '{}', 1, 1)`).run();
    const report: Omit<StoredReport, 'reception'> = { deviceId: 'd1', accountId: 'default', type: 'heartbeat', namespace: null, code: null, text: null, quantity: null, total: null, mono: null, colour: null, via: 'json', receivedAt: 1 };
    const pending = store.reports.insert(report);
    await store.close();
    assert.equal(typeof (await pending), 'number');
    assert.equal((db.prepare(`SELECT count(*) AS n FROM reports`).get() as { n: number }).n, 1);
    db.close();
  });
});

// serviceRig gives the store this half of the suite runs on; a group exists only on SQLite.
describe('the counters rule inside one group', { skip: ON_POSTGRES && "the group commit is the SQLite adapter's; on PostgreSQL the device row lock orders reports (test/unit/pg-store.test.ts)" }, () => {
  it('two counters reports of one device in the same group: the lower one, second, is refused; a rising pair both pass', async () => {
    const rig = await serviceRig();
    const { clock, store, s } = rig;
    const reports = reportService(rig);
    const { device } = await s.devices.provision({ kind: 'cli' }, { serial: 'GROUP-1', model: 'MP C3004' });
    const report = (total: number) => reports.ingest(device, { kind: 'counters', total, mono: total, colour: 0 }, 'json');
    await report(100);
    clock.advance(1000);
    // Handed over in the same tick: one group, written in this order.
    const [high, low] = await Promise.allSettled([report(200), report(150)]);
    assert.equal(high.status, 'fulfilled');
    assert.equal(low.status, 'rejected');
    assert.ok((low as PromiseRejectedResult).reason instanceof ServiceError && (low as PromiseRejectedResult).reason.problem === 'conflict');
    clock.advance(1000);
    const rising = await Promise.all([report(210), report(220), report(230)]);
    assert.deepEqual(rising.map((r) => r.reception), [rising[0]!.reception, rising[0]!.reception + 1, rising[0]!.reception + 2]);
    const reads = await store.reports.readsForPeriod(device.id, 0, clock.now() + 1);
    assert.deepEqual(reads.map((r) => r.total), [100, 200, 210, 220, 230]);
    await store.close();
  });

  it('a report of a device that no longer exists fails alone; the other reports of its group are stored', async () => {
    const rig = await serviceRig();
    const { store, s } = rig;
    const reports = reportService(rig);
    const { device } = await s.devices.provision({ kind: 'cli' }, { serial: 'GROUP-2', model: 'MP C3004' });
    const ghost = { ...device, id: 'd-gone' };
    const outcomes = await Promise.allSettled([
      reports.ingest(device, { kind: 'counters', total: 10, mono: 10, colour: 0 }, 'json'),
      reports.ingest(ghost, { kind: 'counters', total: 10, mono: 10, colour: 0 }, 'json'), // FOREIGN KEY
      reports.ingest(device, { kind: 'user-report', text: 'streaks' }, 'json'),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /FOREIGN KEY/);
    const stored = await store.reports.list({ deviceId: device.id, limit: 10 });
    assert.deepEqual(stored.map((r) => r.type).sort(), ['counters', 'user-report']);
    await store.close();
  });
});
