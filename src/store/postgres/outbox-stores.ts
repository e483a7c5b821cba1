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
      async claim(now, until, limit) {
        const taken = await all(
          `UPDATE outbox SET next_at = ? WHERE id IN (SELECT id FROM outbox WHERE next_at <= ? ORDER BY next_at, id LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING *`,
          ts(until), ts(now), limit,
        );
        return taken.map(toEntry).sort((a, b) => a.id - b.id);
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
