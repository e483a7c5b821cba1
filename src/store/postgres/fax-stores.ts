import type { Store } from '../store.js';
import { toFaxUser } from '../rows.js';
import { ts, uniquely, type PgSql } from './sql.js';
import { where } from '../where.js';

/** Fax relay users (seed 001). */
export function faxStores(q: PgSql): Pick<Store, 'faxUsers'> {
  const { run, all, first } = q;
  return {
    faxUsers: {
      async insert(u) {
        await uniquely(
          () =>
            run(
              `INSERT INTO fax_users (id, account_id, password_hash, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
              u.id, u.accountId, u.passwordHash, JSON.stringify(u.settings), ts(u.createdAt), ts(u.updatedAt),
            ),
          `fax user ${u.id} already exists`,
        );
      },
      async get(id) {
        return first(toFaxUser, `SELECT * FROM fax_users WHERE id = ?`, id);
      },
      async list(f) {
        const w = where([['account_id = ?', f.accountId], ['id > ?', f.cursor]]);
        return (await all(`SELECT * FROM fax_users ${w.clause} ORDER BY id LIMIT ?`, ...w.params, f.limit)).map(toFaxUser);
      },
      async update(id, change, at) {
        return first(
          toFaxUser,
          `UPDATE fax_users SET password_hash = COALESCE(?, password_hash), settings = COALESCE(?, settings), updated_at = ? WHERE id = ? RETURNING *`,
          change.passwordHash ?? null, change.settings ? JSON.stringify(change.settings) : null, ts(at), id,
        );
      },
      async delete(id) {
        return (await run(`DELETE FROM fax_users WHERE id = ?`, id)) === 1;
      },
    },
  };
}
