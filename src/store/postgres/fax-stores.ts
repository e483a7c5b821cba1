import type { Store } from '../store.js';
import type { PgSql } from './sql.js';

/** Not written yet: the PostgreSQL tables of this area. */
export function faxStores(_q: PgSql): Pick<Store, 'faxUsers'> {
  throw new Error('fax-stores: not written yet');
}
