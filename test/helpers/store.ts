/**
 * Which store the suite runs on. `scripts/run-tests.sh` runs it twice: on SQLite (each data
 * directory its own database file, as in production), then with FLEETRELAY_TEST_STORE=postgres
 * in a database made for the run (FLEETRELAY_TEST_RUN_DATABASE_URL), where each data directory a
 * test uses gets a schema of its own, so tests running at once never see each other's rows.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/stores.js';
import { pgTypes } from '../../src/store/postgres/sql.js';
import { dbPath } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { ROOT, tempDir } from './relay.js';

export const ON_POSTGRES = process.env.FLEETRELAY_TEST_STORE === 'postgres';
const RUN_DATABASE = process.env.FLEETRELAY_TEST_RUN_DATABASE_URL || process.env.FLEETRELAY_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const made = new Set<string>();

/** The database URL of a data directory's store on PostgreSQL (its schema made on first use); undefined on SQLite. */
export function databaseUrlFor(dataDir: string): string | undefined {
  return ON_POSTGRES ? postgresUrlFor(dataDir) : undefined;
}

/** A PostgreSQL store for a data directory whichever half of the suite runs (tests comparing both stores). */
export function postgresUrlFor(dataDir: string): string {
  const schema = `t_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  if (!made.has(schema)) {
    // Synchronous because the CLI helper is: a child process with the same pg driver.
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import pg from 'pg'; const c = new pg.Client(process.argv[1]); await c.connect(); await c.query('CREATE SCHEMA IF NOT EXISTS ${schema}'); await c.end();`, RUN_DATABASE],
      { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
    );
    if (r.status !== 0) throw new Error(`cannot make schema ${schema} on ${RUN_DATABASE}: ${r.stderr}`);
    made.add(schema);
  }
  const u = new URL(RUN_DATABASE);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** The global options that put the CLI or a relay on the data directory's store. */
export function storeArgs(dataDir: string): string[] {
  const url = databaseUrlFor(dataDir);
  return url ? ['--database-url', url] : [];
}

/** A fresh store of the kind this run tests, migrated to the newest schema; `settle()` waits for its calls. */
export async function testStore(dataDir = tempDir()): Promise<Store> {
  return tracked(await openStore({ dataDir, databaseUrl: databaseUrlFor(dataDir) }));
}

/** Store calls of testStore()s not yet answered. */
const inFlight = new Set<Promise<unknown>>();

function tracked(store: Store): Store {
  const track = (area: object): object =>
    new Proxy(area, {
      get(target, key) {
        const v: unknown = Reflect.get(target, key);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const p: unknown = v.apply(target, args);
          if (p instanceof Promise) {
            inFlight.add(p);
            const done = (): void => void inFlight.delete(p);
            p.then(done, done);
          }
          return p;
        };
      },
    });
  return Object.fromEntries(Object.entries(store).map(([k, v]) => [k, typeof v === 'object' && v !== null ? track(v) : v])) as unknown as Store;
}

/**
 * Lets what a test set off (on an injected clock, say) run to its end: a few turns of the event
 * loop, and on PostgreSQL, where a store call takes real I/O rather than a microtask, until no
 * call of a testStore() is in flight any more.
 */
export async function settle(turns = 20): Promise<void> {
  for (;;) {
    for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
    if (!inFlight.size) return;
    await Promise.allSettled([...inFlight]);
  }
}

/**
 * Runs SQL straight on a data directory's database, beside the relay, as an operator (or a
 * crashed relay) would: the SQLite file, or the directory's schema on PostgreSQL. `?`
 * placeholders; write SQL both dialects take (`true`/`false` for booleans). The rows, with
 * counts and timestamps as numbers on both.
 */
export async function storeSql(dataDir: string, sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]> {
  const url = databaseUrlFor(dataDir);
  if (!url) {
    const db = new Database(dbPath(dataDir), { fileMustExist: true });
    try {
      const st = db.prepare(sql);
      return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url, types: pgTypes });
  await client.connect();
  try {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** The store's tables (not SQLite's own), by name. */
export async function storeTables(dataDir: string): Promise<string[]> {
  const rows = await storeSql(
    dataDir,
    ON_POSTGRES
      ? `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`
      : `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`,
  );
  return rows.map((r) => String(r.name));
}

/** The keys of an area's blobs (job documents, firmware programs): files in the data directory, or rows naming large objects. */
export async function blobKeys(dataDir: string, area: 'jobs' | 'firmware'): Promise<string[]> {
  if (ON_POSTGRES) return (await storeSql(dataDir, `SELECT key FROM blobs WHERE area = ? ORDER BY key`, area)).map((r) => String(r.key));
  const dir = join(dataDir, area);
  return existsSync(dir) ? readdirSync(dir).filter((f) => !f.endsWith('.part')).sort() : [];
}

/** Where uploads are written before they become blobs: beside the files on SQLite, the staging folder on PostgreSQL. */
export function stagingDir(dataDir: string, area: 'jobs' | 'firmware'): string {
  return join(dataDir, ON_POSTGRES ? 'staging' : area);
}

/** Overwrites a blob's bytes in place, behind the relay's back, as a disk fault or an intruder would. */
export async function tamperBlob(dataDir: string, area: 'jobs' | 'firmware', key: string, bytes: Buffer): Promise<void> {
  if (!ON_POSTGRES) return writeFileSync(join(dataDir, area, key), bytes);
  const changed = await storeSql(dataDir, `SELECT lo_put(oid, 0, ?) FROM blobs WHERE area = ? AND key = ?`, bytes, area, key);
  if (changed.length !== 1) throw new Error(`no blob ${area}/${key}`);
}
