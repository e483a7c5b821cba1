/**
 * Which store adapter the relay and the CLI run on: SQLite in the data directory (the embedded
 * default), or PostgreSQL when a database URL is given. With main.ts, the only code that knows
 * the concrete adapters.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createPool, migrate, safeUrl, schemaVersion as pgSchemaVersion } from './store/postgres/open.js';
import { SCHEMA_VERSION as PG_SCHEMA_VERSION } from './store/postgres/migrations.js';
import { postgresStore } from './store/postgres/postgres-store.js';
import { dbPath, openDatabase, schemaVersion as sqliteSchemaVersion } from './store/sqlite/open.js';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from './store/sqlite/migrations.js';
import { sqliteStore } from './store/sqlite/sqlite-store.js';
import { NoDatabaseError, type Store } from './store/store.js';

/** Where the relay keeps its state: SQLite in the data directory, or the PostgreSQL database a URL names. */
export interface StoreLocation {
  dataDir: string;
  databaseUrl?: string;
}

/**
 * Opens the store and brings its schema up to date (refusing a newer one). `mustExist`: an
 * administrative command must not silently make a new, empty database where a mistyped
 * location points; only serve, init, migrate and restore make one.
 */
export async function openStore(o: StoreLocation & { mustExist?: boolean }): Promise<Store> {
  if (!o.databaseUrl) {
    if (o.mustExist && !existsSync(dbPath(o.dataDir))) throw new NoDatabaseError(o.dataDir);
    return sqliteStore(openDatabase(o.dataDir), o.dataDir);
  }
  const pool = createPool(o.databaseUrl);
  try {
    if (o.mustExist && (await pgSchemaVersion(pool)) === 0) throw new NoDatabaseError(safeUrl(o.databaseUrl));
    await migrate(pool);
    return postgresStore(pool, o.dataDir);
  } catch (err) {
    await pool.end();
    throw err;
  }
}

/** What a store location holds, without changing it: its kind, where (no password), its schema version (0: none yet) and the newest this build knows. */
export async function inspectStore(o: StoreLocation): Promise<{ kind: 'sqlite' | 'postgres'; where: string; version: number; supported: number }> {
  if (!o.databaseUrl) {
    const file = dbPath(o.dataDir);
    let version = 0;
    if (existsSync(file)) {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        version = sqliteSchemaVersion(db);
      } finally {
        db.close();
      }
    }
    return { kind: 'sqlite', where: file, version, supported: SQLITE_SCHEMA_VERSION };
  }
  const pool = createPool(o.databaseUrl, 1);
  try {
    return { kind: 'postgres', where: safeUrl(o.databaseUrl), version: await pgSchemaVersion(pool), supported: PG_SCHEMA_VERSION };
  } finally {
    await pool.end();
  }
}
