import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openServices, openStore, PID_FILE } from '../main.js';
import { dbPath } from '../store/sqlite/open.js';
import { restoreBackup } from '../store/sqlite/restore.js';
import { requireDatabase, type GlobalOptions } from './context.js';
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

export function dataCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('init')
    .description('create the data directory and its database, with the default account (serve does this too)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const dataDir = g().dataDir;
      const created = !existsSync(dbPath(dataDir));
      await (await openServices({ dataDir, timeZone: 'UTC', domain: process.env.FLEETRELAY_DOMAIN })).close();
      if (o.json) return printJson({ dataDir, created });
      process.stdout.write(created ? `created a FleetRelay database in ${dataDir}\n` : `${dataDir} already holds a FleetRelay database; nothing changed\n`);
    });

  program
    .command('backup <file>')
    .description('online backup of the data directory to one SQLite file (safe while the relay runs)')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      if (existsSync(file)) throw new Error(`${file} exists; choose a new file name`);
      requireDatabase(g().dataDir);
      const store = openStore(g().dataDir);
      try {
        await store.backup(file);
      } finally {
        await store.close();
      }
      o.json ? printJson({ file, ok: true }) : process.stdout.write(`backed up ${g().dataDir} to ${file}\n`);
    });

  program
    .command('restore <file>')
    .description('replace the data directory with a backup (stop the relay first; the old database is kept beside it)')
    .option('--json', 'print JSON')
    .action((file: string, o: { json?: boolean }) => {
      const dataDir = g().dataDir;
      const pid = runningRelayPid(dataDir);
      if (pid !== null) throw new Error(`a relay (pid ${pid}) is running on ${dataDir}; stop it before restoring`);
      const r = restoreBackup(file, dataDir, Date.now());
      if (o.json) return printJson({ file, dataDir, ...r });
      process.stdout.write(`restored ${file} into ${dataDir} (schema version ${r.schemaVersion})\n`);
      if (r.keptAs) process.stdout.write(`the previous database is kept as ${r.keptAs}\n`);
    });
}
