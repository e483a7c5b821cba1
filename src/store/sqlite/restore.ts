import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { SchemaTooNewError } from '../store.js';
import { SCHEMA_VERSION } from './migrations.js';
import { PRIVATE_FILE } from '../modes.js';
import { dbPath } from './open.js';

/** Checks that a file is a sound FleetRelay database this version can run. Returns its schema version. */
export function checkBackup(file: string): number {
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`${file} is not a SQLite database: ${(err as Error).message}`);
  }
  try {
    const ok = db.pragma('quick_check', { simple: true });
    if (ok !== 'ok') throw new Error(`${file} is damaged: ${String(ok)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const hasAccounts = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'accounts'`).get();
    if (version < 1 || !hasAccounts) throw new Error(`${file} is not a FleetRelay database`);
    if (version > SCHEMA_VERSION) throw new SchemaTooNewError(version, SCHEMA_VERSION);
    return version;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new Error(`${file} is not a SQLite database`);
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Replaces the data directory's database with a backup. The relay must be stopped. The
 * database it replaces is kept beside it as fleetrelay.db.before-restore-<time>.
 */
export function restoreBackup(file: string, dataDir: string, now: number): { keptAs: string | null; schemaVersion: number } {
  const schemaVersion = checkBackup(file);
  const target = dbPath(dataDir);
  const staging = `${target}.restoring`;
  copyFileSync(file, staging);
  // copyFile gives the copy the backup's mode; the live database is owner-only whatever that was.
  chmodSync(staging, PRIVATE_FILE);
  let keptAs: string | null = null;
  if (existsSync(target)) {
    // Fold the live WAL into the old file first so the kept copy is complete on its own.
    const old = new Database(target);
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.close();
    keptAs = `${target}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, keptAs);
    chmodSync(keptAs, PRIVATE_FILE);
  }
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(staging, target);
  return { keptAs, schemaVersion };
}
