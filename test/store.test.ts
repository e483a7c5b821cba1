import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION as PG_SCHEMA_VERSION } from '../src/store/postgres/migrations.js';
import { migrations, SCHEMA_VERSION } from '../src/store/sqlite/migrations.js';
import { openDatabase, schemaVersion } from '../src/store/sqlite/open.js';
import { SchemaTooNewError } from '../src/store/store.js';
import { cli, startRelay, tempDir } from './helpers/relay.js';
import { ON_POSTGRES, storeSql, testStore } from './helpers/store.js';

/** The first three are about the SQLite file alone; test/unit/pg-store.test.ts migrates PostgreSQL. */
const SQLITE_ONLY = { skip: ON_POSTGRES && 'migrations of the SQLite file (PostgreSQL: test/unit/pg-store.test.ts)' };

const tables = (db: Database.Database): string[] =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);

describe('schema migrations', () => {
  it('creates the newest schema in WAL mode on a new data directory', SQLITE_ONLY, () => {
    const db = openDatabase(tempDir());
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assert.equal(SCHEMA_VERSION, migrations.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.ok(tables(db).includes('devices') && tables(db).includes('registrations'));
    db.close();
  });

  it('upgrades an older database step by step, keeping its data', SQLITE_ONLY, () => {
    const dir = tempDir();
    const v1 = openDatabase(dir, 1);
    assert.equal(schemaVersion(v1), 1);
    assert.ok(!tables(v1).includes('registrations'));
    v1.prepare(`INSERT INTO accounts (id, name, created_at) VALUES ('acme', 'Acme', 1)`).run();
    v1.close();
    const now = openDatabase(dir);
    assert.equal(schemaVersion(now), SCHEMA_VERSION);
    assert.ok(tables(now).includes('registrations'));
    assert.deepEqual(now.prepare(`SELECT id, name FROM accounts`).all(), [{ id: 'acme', name: 'Acme' }]);
    now.close();
  });

  it('opening twice is a no-op', SQLITE_ONLY, () => {
    const dir = tempDir();
    openDatabase(dir).close();
    const again = openDatabase(dir);
    assert.equal(schemaVersion(again), SCHEMA_VERSION);
    again.close();
  });

  it('refuses a schema newer than this build knows, in the library, the server and the CLI', async () => {
    const dir = tempDir();
    const known = ON_POSTGRES ? PG_SCHEMA_VERSION : SCHEMA_VERSION;
    if (ON_POSTGRES) {
      await (await testStore(dir)).close();
      await storeSql(dir, 'UPDATE fleetrelay_schema SET version = ?', known + 1);
      await assert.rejects(testStore(dir), SchemaTooNewError);
    } else {
      const db = openDatabase(dir);
      db.pragma(`user_version = ${known + 1}`);
      db.close();
      assert.throws(() => openDatabase(dir), SchemaTooNewError);
    }

    await assert.rejects(startRelay({ dataDir: dir }), (err: Error) => {
      assert.match(err.message, /exited with 1/);
      assert.match(err.message, new RegExp(`schema version ${known + 1}.*only up to ${known}`));
      return true;
    });
    const r = cli(dir, ['device', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /newer FleetRelay/);
    // The refusal did not touch the database.
    if (ON_POSTGRES) assert.deepEqual(await storeSql(dir, 'SELECT version FROM fleetrelay_schema'), [{ version: known + 1 }]);
    else {
      const check = new Database(`${dir}/fleetrelay.db`, { readonly: true });
      assert.equal(check.pragma('user_version', { simple: true }), known + 1);
      check.close();
    }
  });
});
