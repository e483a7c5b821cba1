import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openServices, PID_FILE } from '../main.js';
import { inspectStore, openStore } from '../stores.js';
import { restoreBackup } from '../store/sqlite/restore.js';
import type { GlobalOptions } from './context.js';
import { doctorCommand } from './doctor.js';
import { UsageError } from './errors.js';
import { printJson } from './output.js';

function runningRelayPid(dataDir: string): number | null {
  const file = join(dataDir, PID_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

const PG_BACKUP = 'back up a PostgreSQL store with pg_dump, which includes the documents and firmware kept as large objects: pg_dump --format=custom --file=fleetrelay.dump "$FLEETRELAY_DATABASE_URL"';
const PG_RESTORE = 'restore a PostgreSQL store with pg_restore into an empty database: pg_restore --dbname="$FLEETRELAY_DATABASE_URL" fleetrelay.dump';

export function dataCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('init')
    .description('create the store (SQLite in the data directory, or the schema in --database-url) with the default account; serve does this too')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { dataDir, databaseUrl } = g();
      const before = await inspectStore({ dataDir, databaseUrl });
      await (await openServices({ dataDir, databaseUrl, timeZone: 'UTC', domain: process.env.FLEETRELAY_DOMAIN })).close();
      const created = before.version === 0;
      if (o.json) return printJson({ dataDir, store: before.kind, where: before.where, created });
      process.stdout.write(created ? `created a FleetRelay database in ${before.where}\n` : `${before.where} already holds a FleetRelay database; nothing changed\n`);
    });

  program
    .command('migrate')
    .description('bring the store\'s schema up to this version and exit (serve does this at start, under a lock on PostgreSQL)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { dataDir, databaseUrl } = g();
      const before = await inspectStore({ dataDir, databaseUrl });
      await (await openStore({ dataDir, databaseUrl })).close();
      const after = await inspectStore({ dataDir, databaseUrl });
      if (o.json) return printJson({ store: after.kind, where: after.where, from: before.version, to: after.version });
      process.stdout.write(
        before.version === after.version
          ? `${after.where} is at schema version ${after.version}, the newest this FleetRelay knows; nothing to do\n`
          : `migrated ${after.where} from schema version ${before.version} to ${after.version}\n`,
      );
    });

  doctorCommand(program, g);

  program
    .command('backup <file>')
    .description('online backup of a SQLite store to one file (safe while the relay runs); on PostgreSQL use pg_dump')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      if (g().databaseUrl) throw new UsageError(`backup copies a SQLite data directory; ${PG_BACKUP}`);
      if (existsSync(file)) throw new Error(`${file} exists; choose a new file name`);
      const store = await openStore({ dataDir: g().dataDir, mustExist: true });
      try {
        await store.backup(file);
      } finally {
        await store.close();
      }
      o.json ? printJson({ file, ok: true }) : process.stdout.write(`backed up ${g().dataDir} to ${file}\n`);
    });

  program
    .command('restore <file>')
    .description('replace a SQLite data directory\'s database with a backup (stop the relay first; the old database is kept beside it)')
    .option('--json', 'print JSON')
    .action((file: string, o: { json?: boolean }) => {
      if (g().databaseUrl) throw new UsageError(`restore replaces a SQLite data directory's database; ${PG_RESTORE}`);
      const dataDir = g().dataDir;
      const pid = runningRelayPid(dataDir);
      if (pid !== null) throw new Error(`a relay (pid ${pid}) is running on ${dataDir}; stop it before restoring`);
      const r = restoreBackup(file, dataDir, Date.now());
      if (o.json) return printJson({ file, dataDir, ...r });
      process.stdout.write(`restored ${file} into ${dataDir} (schema version ${r.schemaVersion})\n`);
      if (r.keptAs) process.stdout.write(`the previous database is kept as ${r.keptAs}\n`);
    });
}
