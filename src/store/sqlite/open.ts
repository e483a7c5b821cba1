import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaTooNewError } from '../store.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';

export const DB_FILE = 'fleetrelay.db';

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/**
 * Opens (creating if needed) the database in dataDir and brings its schema up to
 * `upTo` (default: the newest this build knows). Refuses a schema newer than it knows.
 */
export function openDatabase(dataDir: string, upTo = SCHEMA_VERSION): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(dbPath(dataDir));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, upTo);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Database.Database, upTo: number): void {
  const found = schemaVersion(db);
  if (found > SCHEMA_VERSION) throw new SchemaTooNewError(found, SCHEMA_VERSION);
  for (let v = found; v < upTo; v++) {
    db.transaction(() => {
      if (schemaVersion(db) !== v) return; // another process migrated meanwhile
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
