import type { Store } from '../store.js';
import type { PgSql } from './sql.js';

/** Not written yet: the PostgreSQL tables of this area. */
export function outboxStores(_q: PgSql): Pick<Store, 'outbox'> {
  throw new Error('outbox-stores: not written yet');
}
