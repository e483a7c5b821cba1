import type Database from 'better-sqlite3';
import { closeSync, openSync, rmSync } from 'node:fs';
import type { Store } from '../store.js';
import { fileBlobs } from '../files/blobs.js';
import { coreStores } from './core-stores.js';
import { managementStores } from './management-stores.js';
import { printStores } from './print-stores.js';
import { statusStores } from './status-stores.js';
import { bulkStores } from './bulk-stores.js';
import { faxStores } from './fax-stores.js';
import { outboxStores } from './outbox-stores.js';
import { Sql } from './sql.js';
import { GroupCommit } from './group-commit.js';
import { PRIVATE_FILE } from '../modes.js';

/**
 * The embedded default adapter. better-sqlite3 is synchronous; every statement here is an
 * indexed point read or write, and listings are bounded pages, so none holds the loop long.
 * Nothing is cached: a token revoked by the CLI in another process is seen on the next request.
 * Large objects are files beside the database, in `dataDir`.
 * The writes of device reports go through a group commit (group-commit.ts): those made in one
 * event-loop turn share one transaction, which `close` writes before closing.
 */
export function sqliteStore(db: Database.Database, dataDir: string): Store {
  const q = new Sql(db);
  const group = new GroupCommit(db);
  return {
    ...coreStores(q),
    ...managementStores(q, group),
    ...printStores(q),
    ...statusStores(q),
    ...bulkStores(q),
    ...faxStores(q),
    ...outboxStores(q),
    blobs: fileBlobs(dataDir),
    async backup(file) {
      // Made here, owner-only, before SQLite writes into it: a backup holds every secret the
      // database does. 'wx' also refuses to overwrite an existing file.
      closeSync(openSync(file, 'wx', PRIVATE_FILE));
      try {
        await db.backup(file);
      } catch (err) {
        rmSync(file, { force: true });
        throw err;
      }
    },
    async close() {
      group.flush();
      db.close();
    },
  };
}
