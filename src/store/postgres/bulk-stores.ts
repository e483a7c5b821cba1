import type { BulkResultState } from '../../domain/bulk.js';
import { toBulkJob, toBulkResult, toCounts } from '../rows.js';
import type { Store } from '../store.js';
import { ts, type PgSql } from './sql.js';

/** Bulk jobs and their per-device results. */
export function bulkStores(q: PgSql): Pick<Store, 'bulk'> {
  const { all, run, first, tx } = q;
  return {
    bulk: {
      async insert(j, deviceIds) {
        await tx(async (s) => {
          await s.run(
            `INSERT INTO bulk_jobs (id, account_id, params, state, node, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            j.id, j.accountId, JSON.stringify(j.params), j.state, j.node, j.createdBy, ts(j.createdAt), ts(j.updatedAt),
          );
          // One statement for all the rows: the ids go as one array parameter.
          await s.run(`INSERT INTO bulk_results (bulk_id, device_id, state, updated_at) SELECT ?, unnest(?::text[]), 'pending', ?`, j.id, deviceIds, ts(j.createdAt));
        });
      },
      async get(id) {
        return first(toBulkJob, `SELECT * FROM bulk_jobs WHERE id = ?`, id);
      },
      async counts(id) {
        return toCounts(await all(`SELECT state, count(*) AS n FROM bulk_results WHERE bulk_id = ? GROUP BY state`, id));
      },
      async list(f) {
        const rows = f.accountId === undefined
          ? await all(`SELECT * FROM bulk_jobs ORDER BY created_at DESC, id LIMIT ?`, f.limit)
          : await all(`SELECT * FROM bulk_jobs WHERE account_id = ? ORDER BY created_at DESC, id LIMIT ?`, f.accountId, f.limit);
        return rows.map(toBulkJob);
      },
      async results(id, f) {
        const rows = await all(
          `SELECT device_id, state, detail, updated_at FROM bulk_results WHERE bulk_id = ? AND (?::text IS NULL OR state = ?) AND device_id > ? ORDER BY device_id LIMIT ?`,
          id, f.state ?? null, f.state ?? null, f.cursor ?? '', f.limit,
        );
        return rows.map(toBulkResult);
      },
      async pending(id, limit) {
        return (await all(`SELECT device_id FROM bulk_results WHERE bulk_id = ? AND state = 'pending' ORDER BY device_id LIMIT ?`, id, limit)).map((r) => String(r.device_id));
      },
      async setResult(id, deviceId, state: BulkResultState, detail, at) {
        await run(`UPDATE bulk_results SET state = ?, detail = ?, updated_at = ? WHERE bulk_id = ? AND device_id = ?`, state, detail, ts(at), id, deviceId);
      },
      async setState(id, state, at) {
        await run(`UPDATE bulk_jobs SET state = ?, updated_at = ? WHERE id = ?`, state, ts(at), id);
      },
      async retryFailed(id, at) {
        return tx(async (s) => {
          const n = await s.run(`UPDATE bulk_results SET state = 'pending', detail = NULL, updated_at = ? WHERE bulk_id = ? AND state = 'failed'`, ts(at), id);
          if (n > 0) await s.run(`UPDATE bulk_jobs SET state = 'running', updated_at = ? WHERE id = ?`, ts(at), id);
          return n;
        });
      },
      async interruptRunning(node, at) {
        return tx(async (s) => {
          const ids = (await s.all(`SELECT id FROM bulk_jobs WHERE state = 'running' AND node = ? FOR UPDATE`, node)).map((r) => String(r.id));
          for (const id of ids) {
            await s.run(`UPDATE bulk_results SET state = 'failed', detail = 'the relay stopped before this device was done; retry', updated_at = ? WHERE bulk_id = ? AND state = 'pending'`, ts(at), id);
            await s.run(`UPDATE bulk_jobs SET state = 'done', updated_at = ? WHERE id = ?`, ts(at), id);
          }
          return ids.length;
        });
      },
      async deleteBefore(t) {
        return run(`DELETE FROM bulk_jobs WHERE created_at < ? AND state = 'done'`, ts(t));
      },
    },
  };
}
