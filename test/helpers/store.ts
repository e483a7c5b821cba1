/**
 * Which store the suite runs on. `scripts/run-tests.sh` runs it twice: on SQLite (each data
 * directory its own database file, as in production), then with FLEETRELAY_TEST_STORE=postgres
 * in a database made for the run (FLEETRELAY_TEST_RUN_DATABASE_URL), where each data directory a
 * test uses gets a schema of its own, so tests running at once never see each other's rows.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openStore } from '../../src/stores.js';
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

/** A fresh store of the kind this run tests, migrated to the newest schema. */
export async function testStore(dataDir = tempDir()): Promise<Store> {
  return openStore({ dataDir, databaseUrl: databaseUrlFor(dataDir) });
}
