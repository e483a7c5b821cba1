import type { Store } from '../store.js';
import { toFaxUser } from '../rows.js';
import { uniquely, type Sql } from './sql.js';
import { where } from '../where.js';


/** Fax relay users (seed 001). */
export function faxStores(q: Sql): Pick<Store, 'faxUsers'> {
  const { run, all, first } = q;
  return {
    faxUsers: {
      async insert(u) {
        uniquely(
          () =>
            run(
              `INSERT INTO fax_users (id, account_id, password_hash, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
              u.id, u.accountId, u.passwordHash, JSON.stringify(u.settings), u.createdAt, u.updatedAt,
            ),
          `fax user ${u.id} already exists`,
        );
      },
      async get(id) {
        return first(toFaxUser, `SELECT * FROM fax_users WHERE id = ?`, id);
      },
      async list(f) {
        const w = where([['account_id = ?', f.accountId], ['id > ?', f.cursor]]);
        return all(`SELECT * FROM fax_users ${w.clause} ORDER BY id LIMIT ?`, ...w.params, f.limit).map(toFaxUser);
      },
      async update(id, change, at) {
        const n = run(
          `UPDATE fax_users SET password_hash = COALESCE(?, password_hash), settings = COALESCE(?, settings), updated_at = ? WHERE id = ?`,
          change.passwordHash ?? null, change.settings ? JSON.stringify(change.settings) : null, at, id,
        );
        return n ? first(toFaxUser, `SELECT * FROM fax_users WHERE id = ?`, id) : null;
      },
      async delete(id) {
        return run(`DELETE FROM fax_users WHERE id = ?`, id) === 1;
      },
    },
  };
}
