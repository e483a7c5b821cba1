import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { api, cli, cliJson, startRelay, tempDir } from './helpers/relay.js';
import { ON_POSTGRES } from './helpers/store.js';

/** backup and restore copy the SQLite file; on PostgreSQL they refuse and point to pg_dump and pg_restore (the last case). */
const SQLITE_FILE = { skip: ON_POSTGRES && 'copies the SQLite file; PostgreSQL is backed up with pg_dump' };

describe('backup and restore', () => {
  it('backs up a running relay online and restores it into a data directory another relay then serves', SQLITE_FILE, async () => {
    const relay = await startRelay();
    const admin = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;
    const made = await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: 'BK-1', model: 'M' } });
    assert.equal(made.status, 201);
    const file = join(tempDir(), 'relay-backup.db');

    const r = cli(relay.dataDir, ['backup', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(file));
    assert.equal(cli(relay.dataDir, ['backup', file]).code, 1, 'an existing file is not overwritten');

    // A change after the backup is not in it.
    await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: 'BK-2', model: 'M' } });
    const refused = cli(relay.dataDir, ['restore', file]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /running/);
    await relay.stop();

    const target = tempDir();
    const restored = cli(target, ['restore', file, '--json']);
    assert.equal(restored.code, 0, restored.stderr);
    const second = await startRelay({ dataDir: target });
    try {
      const list = await api(second.url, '/api/v1/devices', { token: admin });
      assert.equal(list.status, 200, 'the token from the backup works');
      assert.deepEqual(list.body.items.map((d: { serial: string }) => d.serial), ['BK-1']);
      assert.equal((await api(second.url, `/device/v1/self`, { token: made.body.token })).status, 200, 'the device token from the backup works');
    } finally {
      await second.stop();
    }

    // Restoring over an existing database keeps the old one beside it.
    const again = cliJson<{ keptAs: string }>(relay.dataDir, ['restore', file]);
    assert.ok(existsSync(again.keptAs));
    assert.ok(readdirSync(relay.dataDir).some((f) => f.startsWith('fleetrelay.db.before-restore-')));
  });

  it('refuses to restore something that is not a FleetRelay backup, changing nothing', SQLITE_FILE, () => {
    const dir = tempDir();
    cliJson(dir, ['init']);
    cliJson(dir, ['account', 'add', 'acme']);
    const junk = join(tempDir(), 'junk.db');
    writeFileSync(junk, 'this is not a database'.repeat(100));
    const r = cli(dir, ['restore', junk]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a SQLite database|not a FleetRelay database/);
    const missing = cli(dir, ['restore', join(dir, 'nope.db')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist/);
    const accounts = cliJson<{ id: string }[]>(dir, ['account', 'list']);
    assert.deepEqual(accounts.map((a) => a.id).sort(), ['acme', 'default']);
  });

  it('on PostgreSQL, points to pg_dump and pg_restore instead, changing nothing', { skip: !ON_POSTGRES && 'the PostgreSQL store only' }, () => {
    const dir = tempDir();
    cliJson(dir, ['init']);
    cliJson(dir, ['account', 'add', 'acme']);
    const file = join(tempDir(), 'relay-backup.db');
    const backup = cli(dir, ['backup', file]);
    assert.equal(backup.code, 2);
    assert.match(backup.stderr, /pg_dump/);
    assert.ok(!existsSync(file));
    writeFileSync(file, 'this is not a database');
    const restore = cli(dir, ['restore', file]);
    assert.equal(restore.code, 2);
    assert.match(restore.stderr, /pg_restore/);
    assert.deepEqual(cliJson<{ id: string }[]>(dir, ['account', 'list']).map((a) => a.id).sort(), ['acme', 'default']);
  });
});
