import assert from 'node:assert/strict';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { adminToken, api, cli, cliJson, startRelay, tempDir } from './helpers/relay.js';
import { ON_POSTGRES } from './helpers/store.js';

const mode = (file: string): string => (statSync(file).mode & 0o777).toString(8);

describe('file modes: everything the relay and the CLI write is the owner\'s alone', () => {
  it('data dir 0700; database, WAL, shared memory (SQLite), pid file, link key and job documents 0600', async () => {
    // The usual umask, under which SQLite's own default (0644) would leave the files readable to all.
    process.umask(0o022);
    const dataDir = join(tempDir(), 'data'); // made by the relay itself
    const relay = await startRelay({ dataDir });
    try {
      const admin = adminToken(dataDir);
      const c = cliJson<{ deviceId: string; token: string }>(dataDir, ['device', 'add', '--serial', 'MODE-1', '--model', 'EP-884A']);
      assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } })).status < 300, true);
      const form = new FormData();
      form.append('document', new Blob([new TextEncoder().encode('%PDF-1.4\n% secret minutes\n%%EOF\n')]), 'minutes.pdf');
      const job = await fetch(`${relay.url}/api/v1/printers/${c.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
      assert.equal(job.status, 201, await job.text());

      assert.equal(mode(dataDir), '700', 'data dir');
      const database = ON_POSTGRES ? [] : ['fleetrelay.db', 'fleetrelay.db-wal', 'fleetrelay.db-shm'];
      for (const f of [...database, 'relay.pid']) assert.equal(mode(join(dataDir, f)), '600', f);
      if (!ON_POSTGRES) {
        // On PostgreSQL documents are large objects in the database, not files.
        const jobs = join(dataDir, 'jobs');
        assert.equal(mode(jobs), '700', 'jobs folder');
        const documents = readdirSync(jobs);
        assert.ok(documents.length > 0, 'the job document is on disk');
        for (const f of documents) assert.equal(mode(join(jobs, f)), '600', `jobs/${f}`);
      }
    } finally {
      await relay.stop();
    }
  });

  it('backups, restored databases and the database kept beside a restore 0600', { skip: ON_POSTGRES && 'SQLite files; PostgreSQL is backed up with pg_dump' }, async () => {
    process.umask(0o022);
    const dataDir = join(tempDir(), 'data');
    const relay = await startRelay({ dataDir });
    let stopped = false;
    try {
      cliJson(dataDir, ['device', 'add', '--serial', 'MODE-2', '--model', 'EP-884A']);
      const backup = join(tempDir(), 'backup.db');
      const b = cli(dataDir, ['backup', backup]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(mode(backup), '600', 'backup');

      await relay.stop();
      stopped = true;
      // A backup made by an older version (0644) still restores to an owner-only database.
      chmodSync(backup, 0o644);
      const target = tempDir();
      assert.equal(cli(target, ['restore', backup]).code, 0);
      assert.equal(mode(join(target, 'fleetrelay.db')), '600', 'restored database');
      chmodSync(join(target, 'fleetrelay.db'), 0o644);
      const again = cliJson<{ keptAs: string }>(target, ['restore', backup]);
      assert.equal(mode(again.keptAs), '600', 'the database kept beside a restore');
      // An older install's database is tightened when it is next opened.
      chmodSync(join(target, 'fleetrelay.db'), 0o644);
      cliJson(target, ['account', 'list']);
      assert.equal(mode(join(target, 'fleetrelay.db')), '600', 'an existing database, reopened');
    } finally {
      if (!stopped) await relay.stop();
    }
  });
});
