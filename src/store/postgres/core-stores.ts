import type { Store } from '../store.js';
import type { PgSql } from './sql.js';

/** Not written yet: the PostgreSQL tables of this area. */
export function coreStores(_q: PgSql): Pick<Store, 'settings' | 'accounts' | 'users' | 'tokens' | 'devices' | 'registrations' | 'webSessions' | 'audit'> {
  throw new Error('core-stores: not written yet');
}
