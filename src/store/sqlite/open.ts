import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_DIR, PRIVATE_FILE } from '../modes.js';
import { SchemaTooNewError } from '../store.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';

export const DB_FILE = 'fleetrelay.db';

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/**
 * Creates `file` empty and owner-only if it does not exist, and takes group and other access
 * away from one that does (a database made by an older version). SQLite gives the WAL, the
 * shared-memory file and rollback journals the mode of their database file, so making the
 * database file 0600 before SQLite opens it is what keeps those private too: no umask needed.
 */
export function ownerOnlyFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      chmodSync(f, PRIVATE_FILE);
    } catch (err) {
      // Absent side files are fine; so is a file owned by someone else that we may write but not chmod.
      if (!['ENOENT', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
}

/**
 * Opens (creating if needed) the database in dataDir and brings its schema up to
 * `upTo` (default: the newest this build knows). Refuses a schema newer than it knows.
 */
export function openDatabase(dataDir: string, upTo = SCHEMA_VERSION): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR });
  ownerOnlyFile(dbPath(dataDir));
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
