/**
 * The BlobStore port: the same cases against the file adapter (SQLite's) and the PostgreSQL
 * large-object one. PostgreSQL is FLEETRELAY_TEST_DATABASE_URL (default: the local cluster, trust
 * auth); each run makes its own database and drops it. Unreachable PostgreSQL fails the test.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { BlobNotFoundError, type BlobArea, type BlobStore } from '../../src/store/blobs.js';
import { fileBlobs } from '../../src/store/files/blobs.js';
import { pgBlobs } from '../../src/store/postgres/blobs.js';
import { createPool, migrate } from '../../src/store/postgres/open.js';
import { tempDir } from '../helpers/relay.js';

const MiB = 1024 * 1024;
const DATABASE_URL = process.env.FLEETRELAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Rig {
  blobs: BlobStore;
  dataDir: string;
  /** Fails if the adapter left anything running or behind: a checked-out connection, a query, an orphan large object. */
  assertQuiet(): Promise<void>;
  close(): Promise<void>;
}

async function fileRig(): Promise<Rig> {
  const dataDir = tempDir('fleetrelay-blobs-');
  return { blobs: fileBlobs(dataDir), dataDir, assertQuiet: async () => undefined, close: async () => undefined };
}

async function pgRig(): Promise<Rig> {
  const admin = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5000 });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${DATABASE_URL} (set FLEETRELAY_TEST_DATABASE_URL, or start it: pg_ctlcluster --skip-systemctl-redirect 15 main start): ${err.message}`);
  });
  const name = `fr_blobs_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 4);
  await migrate(pool).catch(async (err: unknown) => {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    throw err;
  });
  const dataDir = tempDir('fleetrelay-blobs-pg-');
  return {
    blobs: pgBlobs(pool, dataDir),
    dataDir,
    async assertQuiet() {
      assert.equal(pool.totalCount, pool.idleCount, 'every pooled connection is back in the pool');
      assert.equal(pool.waitingCount, 0);
      const others = await admin.query("SELECT query FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle'", [name]);
      assert.deepEqual(others.rows, [], 'no query is still running');
      const { rows } = await pool.query<{ orphans: string }>('SELECT count(*) AS orphans FROM pg_largeobject_metadata m WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.oid = m.oid)');
      assert.equal(Number(rows[0]!.orphans), 0, 'no large object is left without its row');
    },
    async close() {
      // pool.end() resolves before its connections have closed: wait for them, or DROP … FORCE cuts them off under the pool.
      let open = pool.totalCount;
      const closed = new Promise<void>((resolve) => (open === 0 ? resolve() : pool.on('remove', () => --open === 0 && resolve())));
      await pool.end();
      await closed;
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function put(blobs: BlobStore, area: BlobArea, key: string, bytes: Buffer): Promise<void> {
  const staged = blobs.stagingFile(area, key);
  writeFileSync(staged, bytes, { mode: 0o600 });
  await blobs.putFile(area, key, staged);
  assert.equal(existsSync(staged), false, 'the staging file is gone after putFile');
}

/** The stream's chunks, each checked to be at most 1 MiB: never the whole blob in one piece. */
async function chunks(stream: Readable): Promise<Buffer> {
  const got: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) {
    assert.ok(c.length <= MiB, `a chunk of ${c.length} bytes`);
    got.push(c);
  }
  return Buffer.concat(got);
}

for (const [adapter, open] of [
  ['files in the data directory (SQLite)', fileRig],
  ['PostgreSQL large objects', pgRig],
] as const) {
  describe(`blobs: ${adapter}`, () => {
    let rig: Rig;
    const big = randomBytes(5 * MiB + 12345);
    const key = 'j0000000000001abcdefgh';
    before(async () => {
      rig = await open();
      await put(rig.blobs, 'jobs', key, big);
    });
    after(async () => {
      await rig?.close();
    });

    it('a 5 MiB random file round-trips, streamed in chunks of at most 1 MiB', async () => {
      const back = await chunks(await rig.blobs.read('jobs', key));
      assert.equal(back.length, big.length);
      assert.equal(sha(back), sha(big));
      await rig.assertQuiet();
    });

    it('byte ranges: the first byte, a middle range across chunk boundaries, the last byte, an end past the last byte', async () => {
      const range = async (start: number, end: number): Promise<Buffer> => buffer(await rig.blobs.read('jobs', key, { start, end }));
      assert.deepEqual(await range(0, 0), big.subarray(0, 1));
      assert.deepEqual(await range(MiB - 10, 3 * MiB + 7), big.subarray(MiB - 10, 3 * MiB + 8));
      assert.deepEqual(await range(big.length - 1, big.length - 1), big.subarray(big.length - 1));
      assert.deepEqual(await range(big.length - 5, big.length + 100), big.subarray(big.length - 5));
      await rig.assertQuiet();
    });

    it('an empty blob round-trips', async () => {
      await put(rig.blobs, 'jobs', 'empty', Buffer.alloc(0));
      assert.equal((await buffer(await rig.blobs.read('jobs', 'empty'))).length, 0);
      await rig.blobs.remove('jobs', 'empty');
    });

    it('putFile replaces a blob under the same key', async () => {
      await put(rig.blobs, 'firmware', 'a'.repeat(64), randomBytes(3 * MiB));
      const second = randomBytes(MiB + 1);
      await put(rig.blobs, 'firmware', 'a'.repeat(64), second);
      assert.equal(sha(await buffer(await rig.blobs.read('firmware', 'a'.repeat(64)))), sha(second));
      await rig.assertQuiet(); // PostgreSQL: the replaced large object was unlinked
    });

    it('remove deletes a blob (a page folder goes with its last file); removing a missing one is fine', async () => {
      await put(rig.blobs, 'pages', 'pg-abc/0', Buffer.from('%PDF-1.4 one'));
      await put(rig.blobs, 'pages', 'pg-abc/1', Buffer.from('two'));
      await rig.blobs.remove('pages', 'pg-abc/0');
      assert.equal((await buffer(await rig.blobs.read('pages', 'pg-abc/1'))).toString(), 'two');
      await rig.blobs.remove('pages', 'pg-abc/1');
      await assert.rejects(rig.blobs.read('pages', 'pg-abc/1'), BlobNotFoundError);
      assert.equal(existsSync(join(rig.dataDir, 'pages', 'pg-abc')), false, 'no page folder is left');
      await rig.blobs.remove('pages', 'pg-abc/1');
      await rig.assertQuiet();
    });

    it('reading a missing blob rejects with BlobNotFoundError; a key that could leave its folder is refused', async () => {
      await assert.rejects(rig.blobs.read('jobs', 'jnothing'), (err: Error) => err instanceof BlobNotFoundError && /jobs\/jnothing/.test(err.message));
      await assert.rejects(rig.blobs.read('jobs', '../fleetrelay.db'), /not a jobs blob key/);
      assert.throws(() => rig.blobs.stagingFile('pages', '../../x/0'), /not a pages blob key/);
    });

    it('destroying a stream mid-download stops it and leaves no query running', async () => {
      const stream = await rig.blobs.read('jobs', key);
      let received = 0;
      stream.once('data', (c: Buffer) => {
        received += c.length;
        stream.pause();
        setImmediate(() => stream.destroy()); // the next chunk is being fetched by then
      });
      await once(stream, 'close');
      assert.ok(received > 0 && received < big.length, `${received} bytes before the destroy`);
      await new Promise((r) => setTimeout(r, 50));
      await rig.assertQuiet();
    });

    it('removeStaging clears staging files left by a crash and keeps the blobs', async () => {
      const staged = (['jobs', 'pages', 'firmware'] as const).map((area) => {
        const file = rig.blobs.stagingFile(area, area === 'pages' ? 'pg-crash/0' : area === 'firmware' ? 'b'.repeat(64) : 'jcrash');
        writeFileSync(file, 'half an upload', { mode: 0o600 });
        return file;
      });
      await rig.blobs.removeStaging();
      for (const f of staged) assert.equal(existsSync(f), false, `${f} removed`);
      assert.equal(sha(await buffer(await rig.blobs.read('jobs', key))), sha(big), 'stored blobs are untouched');
    });

    it('everything it writes locally is the owner\'s alone (files 0600, folders 0700)', async () => {
      await put(rig.blobs, 'pages', 'pg-mode/0', Buffer.from('x'));
      rig.blobs.stagingFile('jobs', 'jmode');
      const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) {
            assert.equal(mode(p), '700', p);
            walk(p);
          } else assert.equal(mode(p), '600', p);
        }
      };
      walk(rig.dataDir);
    });
  });
}

describe('blobs: PostgreSQL large objects are fetched only as fast as they are read', () => {
  it('a paused stream fetches at most a chunk ahead; a slow reader holds no connection', async () => {
    const rig = await pgRig();
    try {
      await put(rig.blobs, 'jobs', 'jslow', randomBytes(8 * MiB));
      const stream = await rig.blobs.read('jobs', 'jslow');
      const first = stream.read(); // starts the first fetch
      assert.equal(first, null);
      await once(stream, 'readable');
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(stream.readableLength <= 2 * MiB, `${stream.readableLength} bytes fetched ahead`);
      await rig.assertQuiet(); // nothing checked out while the reader dawdles
      stream.destroy();
      await once(stream, 'close');
    } finally {
      await rig.close();
    }
  });
});
