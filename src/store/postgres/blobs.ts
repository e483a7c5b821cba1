/**
 * Blobs as PostgreSQL large objects, named by the `blobs` table (area, key → oid, size), so every
 * relay sharing the database reads the same bytes. Written in one transaction with the row that
 * names them; read chunk by chunk, each chunk its own short pooled query, so a slow download
 * never holds a connection. Staging files are local: `<dataDir>/staging/`.
 */
import { mkdirSync } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { BlobNotFoundError, checkBlobKey, clampRange, type BlobStore } from '../blobs.js';
import { PRIVATE_DIR } from '../modes.js';

const CHUNK = 1024 * 1024;
/** First key of the two-key advisory locks that serialize writers of one blob (the second is a hash of area/key). */
const PUT_LOCK = 0x626c6f62; // 'blob'

export function pgBlobs(pool: pg.Pool, dataDir: string): BlobStore {
  const staging = join(dataDir, 'staging');

  return {
    stagingFile(area, key) {
      checkBlobKey(area, key);
      mkdirSync(staging, { recursive: true, mode: PRIVATE_DIR });
      return join(staging, `${area}-${key.replace('/', '-')}.part`);
    },

    async putFile(area, key, file) {
      checkBlobKey(area, key);
      const client = await pool.connect();
      let failed: Error | undefined;
      try {
        await client.query('BEGIN');
        const oid = Number((await client.query<{ oid: number }>('SELECT lo_create(0) AS oid')).rows[0]!.oid);
        const size = await copyIn(client, oid, file);
        // Two writers of the same new key would both see no row and one oid would be lost: they take turns.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PUT_LOCK, `${area}/${key}`]);
        const old = await client.query<{ oid: number }>('SELECT oid FROM blobs WHERE area = $1 AND key = $2 FOR UPDATE', [area, key]);
        await client.query(
          `INSERT INTO blobs (area, key, oid, size) VALUES ($1, $2, $3, $4)
           ON CONFLICT (area, key) DO UPDATE SET oid = excluded.oid, size = excluded.size, created_at = now()`,
          [area, key, oid, size],
        );
        if (old.rows[0]) await client.query('SELECT lo_unlink($1)', [old.rows[0].oid]);
        await client.query('COMMIT');
      } catch (err) {
        failed = err as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        // A connection whose ROLLBACK may not have gone through is not given to anyone else.
        client.release(failed);
      }
      await rm(file, { force: true });
    },

    async read(area, key, range) {
      checkBlobKey(area, key);
      const row = (await pool.query<{ oid: number; size: string }>('SELECT oid, size FROM blobs WHERE area = $1 AND key = $2', [area, key])).rows[0];
      if (!row) throw new BlobNotFoundError(area, key);
      const { start, end } = clampRange(Number(row.size), range);
      return new LargeObjectStream(pool, Number(row.oid), start, end);
    },

    async remove(area, key) {
      checkBlobKey(area, key);
      await pool.query('WITH gone AS (DELETE FROM blobs WHERE area = $1 AND key = $2 RETURNING oid) SELECT lo_unlink(oid) FROM gone', [area, key]);
    },

    async removeStaging() {
      let names: string[];
      try {
        names = await readdir(staging);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const name of names) await rm(join(staging, name), { force: true, recursive: true });
    },
  };
}

/** Streams `file` into large object `oid` in CHUNK-sized lo_put calls; its size. */
async function copyIn(client: pg.PoolClient, oid: number, file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let offset = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, offset);
      if (bytesRead === 0) return offset;
      await client.query('SELECT lo_put($1, $2, $3)', [oid, offset, buf.subarray(0, bytesRead)]);
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Bytes [start, end] of a large object, one lo_get per read() call: nothing is fetched ahead of
 * what the consumer takes. A blob removed or replaced meanwhile ends the stream with an error
 * (its oid no longer exists), never with another blob's bytes.
 *
 * Each chunk comes base64-encoded: node-postgres reads every result value as UTF-8 text, so
 * `binary: true` would mangle bytea, and base64 measured ~1.4× faster than the hex default
 * (less to send, native decoding; PostgreSQL's line breaks are skipped by Buffer.from).
 */
class LargeObjectStream extends Readable {
  private pos: number;
  private fetching: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly oid: number,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: CHUNK });
    this.pos = start;
  }

  override _read(): void {
    if (this.pos > this.end) {
      this.push(null);
      return;
    }
    const length = Math.min(CHUNK, this.end - this.pos + 1);
    const query = { text: "SELECT encode(lo_get($1, $2, $3), 'base64')", values: [this.oid, this.pos, length], rowMode: 'array' as const };
    this.fetching = this.pool.query<[string]>(query).then(
      (r) => {
        this.fetching = null;
        if (this.destroyed) return;
        const chunk = Buffer.from(r.rows[0]![0], 'base64');
        if (chunk.length !== length) return void this.destroy(new Error(`large object ${this.oid} is shorter than its recorded size`));
        this.pos += length;
        this.push(chunk);
      },
      (err: Error) => {
        this.fetching = null;
        this.destroy(err);
      },
    );
  }

  /** 'close' comes only once a chunk query under way has finished: nothing is left running on the pool. */
  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const running = this.fetching;
    if (running) void running.finally(() => callback(err));
    else callback(err);
  }
}
