import type pg from 'pg';
import type { Store } from '../store.js';
import { coreStores } from './core-stores.js';
import { managementStores } from './management-stores.js';
import { printStores } from './print-stores.js';
import { statusStores } from './status-stores.js';
import { bulkStores } from './bulk-stores.js';
import { faxStores } from './fax-stores.js';
import { outboxStores } from './outbox-stores.js';
import { PgSql } from './sql.js';
import { pgBlobs } from './blobs.js';

/**
 * The shared adapter: several relays (and the CLI) on one PostgreSQL database, documents and
 * firmware in its large objects (blobs.ts). Nothing is cached, as on SQLite: a token revoked by the CLI is seen by every relay on its next request.
 */
export function postgresStore(pool: pg.Pool, dataDir: string): Store {
  const q = new PgSql(pool);
  return {
    ...coreStores(q),
    ...managementStores(q),
    ...printStores(q),
    ...statusStores(q),
    ...bulkStores(q),
    ...faxStores(q),
    ...outboxStores(q),
    blobs: pgBlobs(pool, dataDir),
    async backup() {
      throw new Error('on PostgreSQL, back up with pg_dump (large objects included)');
    },
    async close() {
      await pool.end();
    },
  };
}

