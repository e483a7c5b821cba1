import type { Store } from '../store.js';
import type { PgSql } from './sql.js';

/** Not written yet: the PostgreSQL tables of this area. */
export function managementStores(_q: PgSql): Pick<Store, 'codes' | 'reports' | 'alerts' | 'meter' | 'webhooks' | 'firmware' | 'pushQueue'> {
  throw new Error('management-stores: not written yet');
}
