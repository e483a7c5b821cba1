import type { Store } from '../store.js';
import { toEntry } from '../rows.js';
import { ts, type PgSql } from './sql.js';

/** Webhook calls and mails waiting for an attempt. */
export function outboxStores(q: PgSql): Pick<Store, 'outbox'> {
  const { run, all, first } = q;
  return {
    outbox: {
      async add(kind, message, at) {
        return Number(await first((r) => r.id, `INSERT INTO outbox (kind, message, next_at, created_at) VALUES (?, ?, ?, ?) RETURNING id`, kind, message, ts(at), ts(at)));
      },
      async due(now, limit) {
        return (await all(`SELECT * FROM outbox WHERE next_at <= ? ORDER BY next_at, id LIMIT ?`, ts(now), limit)).map(toEntry);
      },
      async retryAt(id, nextAt, error) {
        await run(`UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`, ts(nextAt), error.slice(0, 500), id);
      },
      async remove(id) {
        await run(`DELETE FROM outbox WHERE id = ?`, id);
      },
      async count() {
        return Number(await first((r) => r.n, `SELECT COUNT(*) AS n FROM outbox`));
      },
    },
  };
}
