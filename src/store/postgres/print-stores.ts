import type { Store } from '../store.js';
import type { PgSql } from './sql.js';

/** Not written yet: the PostgreSQL tables of this area. */
export function printStores(_q: PgSql): Pick<Store, 'print'> {
  throw new Error('print-stores: not written yet');
}
