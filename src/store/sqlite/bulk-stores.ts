import type { BulkJob } from '../../domain/bulk.js';
import { toBulkJob, toBulkResult, toCounts } from '../rows.js';
import type { Store } from '../store.js';
import type { Sql } from './sql.js';

/** Bulk jobs and their per-device results. */
export function bulkStores(q: Sql): Pick<Store, 'bulk'> {
  const { db, all, run, first } = q;
  const insert = db.transaction((j: BulkJob, deviceIds: string[]) => {
    run(
      `INSERT INTO bulk_jobs (id, account_id, params, state, node, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      j.id, j.accountId, JSON.stringify(j.params), j.state, j.node, j.createdBy, j.createdAt, j.updatedAt,
    );
    for (const id of deviceIds) run(`INSERT INTO bulk_results (bulk_id, device_id, state, updated_at) VALUES (?, ?, 'pending', ?)`, j.id, id, j.createdAt);
  });
  const interrupt = db.transaction((node: string, at: number): number => {
    const ids = all(`SELECT id FROM bulk_jobs WHERE state = 'running' AND node = ?`, node).map((r) => String(r.id));
    for (const id of ids) {
      run(`UPDATE bulk_results SET state = 'failed', detail = 'the relay stopped before this device was done; retry', updated_at = ? WHERE bulk_id = ? AND state = 'pending'`, at, id);
      run(`UPDATE bulk_jobs SET state = 'done', updated_at = ? WHERE id = ?`, at, id);
    }
    return ids.length;
  });
  return {
    bulk: {
      async insert(j, deviceIds) {
        insert(j, deviceIds);
      },
      async get(id) {
        return first(toBulkJob, `SELECT * FROM bulk_jobs WHERE id = ?`, id);
      },
      async counts(id) {
        return toCounts(all(`SELECT state, count(*) AS n FROM bulk_results WHERE bulk_id = ? GROUP BY state`, id));
      },
      async list(f) {
        const rows = f.accountId === undefined
          ? all(`SELECT * FROM bulk_jobs ORDER BY created_at DESC, id LIMIT ?`, f.limit)
          : all(`SELECT * FROM bulk_jobs WHERE account_id = ? ORDER BY created_at DESC, id LIMIT ?`, f.accountId, f.limit);
        return rows.map(toBulkJob);
      },
      async results(id, f) {
        const rows = all(
          `SELECT device_id, state, detail, updated_at FROM bulk_results WHERE bulk_id = ? AND (? IS NULL OR state = ?) AND device_id > ? ORDER BY device_id LIMIT ?`,
          id, f.state ?? null, f.state ?? null, f.cursor ?? '', f.limit,
        );
        return rows.map(toBulkResult);
      },
      async pending(id, limit) {
        return all(`SELECT device_id FROM bulk_results WHERE bulk_id = ? AND state = 'pending' ORDER BY device_id LIMIT ?`, id, limit).map((r) => String(r.device_id));
      },
      async setResult(id, deviceId, state, detail, at) {
        run(`UPDATE bulk_results SET state = ?, detail = ?, updated_at = ? WHERE bulk_id = ? AND device_id = ?`, state, detail, at, id, deviceId);
      },
      async setState(id, state, at) {
        run(`UPDATE bulk_jobs SET state = ?, updated_at = ? WHERE id = ?`, state, at, id);
      },
      async retryFailed(id, at) {
        const n = run(`UPDATE bulk_results SET state = 'pending', detail = NULL, updated_at = ? WHERE bulk_id = ? AND state = 'failed'`, at, id);
        if (n > 0) run(`UPDATE bulk_jobs SET state = 'running', updated_at = ? WHERE id = ?`, at, id);
        return n;
      },
      async interruptRunning(node, at) {
        return interrupt(node, at);
      },
      async deleteBefore(t) {
        return run(`DELETE FROM bulk_jobs WHERE created_at < ? AND state = 'done'`, t);
      },
    },
  };
}
