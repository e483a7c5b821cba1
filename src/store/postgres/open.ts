import pg from 'pg';
import { SchemaTooNewError } from '../store.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';
import { pgTypes } from './sql.js';

/** Connections one relay or CLI process holds at most. */
export const POOL_SIZE = 10;
/** Taken while migrating, so relays starting at once migrate once (any constant unique to FleetRelay). */
const MIGRATION_LOCK = 0x466c5265; // "FlRe"

/** The URL without its password, for messages and logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

export function createPool(url: string, max = POOL_SIZE): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: pgTypes,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // Idle connections alone do not keep a process alive (a CLI command, a test file ends at once).
    allowExitOnIdle: true,
    application_name: 'fleetrelay',
  });
  // An idle connection that dies (server restart) must not crash the relay: the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** The schema version of the database (0: no FleetRelay schema yet). */
export async function schemaVersion(db: pg.Pool | pg.PoolClient): Promise<number> {
  const exists = await db.query(`SELECT to_regclass('fleetrelay_schema') IS NOT NULL AS found`);
  if (!exists.rows[0]?.found) return 0;
  const r = await db.query<{ version: number }>('SELECT version FROM fleetrelay_schema');
  return Number(r.rows[0]?.version ?? 0);
}

/**
 * Brings the schema up to `upTo` (default: the newest this build knows) under an advisory lock,
 * each version in its own transaction. Refuses a schema newer than this build knows.
 * Returns the versions it found and left.
 */
export async function migrate(pool: pg.Pool, upTo = SCHEMA_VERSION): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const from = await schemaVersion(client);
      if (from > SCHEMA_VERSION) throw new SchemaTooNewError(from, SCHEMA_VERSION);
      for (let v = from; v < upTo; v++) {
        await client.query('BEGIN');
        try {
          await client.query(migrations[v]!);
          if (v === 0) await client.query('CREATE TABLE fleetrelay_schema (version integer NOT NULL); INSERT INTO fleetrelay_schema VALUES (1)');
          else await client.query('UPDATE fleetrelay_schema SET version = $1', [v + 1]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
      return { from, to: Math.max(from, upTo) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
