import type { DeviceStatus } from '../../domain/status.js';
import type { Store } from '../store.js';
import { ts, type PgSql } from './sql.js';

/** Device status and its history. */
export function statusStores(q: PgSql): Pick<Store, 'status'> {
  const { all, run, one, tx } = q;
  return {
    status: {
      async get(deviceId) {
        const r = await one(`SELECT status FROM device_status WHERE device_id = ?`, deviceId);
        return r ? (JSON.parse(r.status as string) as DeviceStatus) : null;
      },
      async save(deviceId, status, points, at) {
        await tx(async (s) => {
          // A device removed meanwhile has no row to refer to: nothing to save.
          const saved = await s.run(
            `INSERT INTO device_status (device_id, status, updated_at) SELECT id, ?, ? FROM devices WHERE id = ?
             ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
            JSON.stringify(status), ts(at), deviceId,
          );
          if (saved === 0) return;
          for (const p of points) await s.run(`INSERT INTO status_history (device_id, object, at, value) VALUES (?, ?, ?, ?)`, deviceId, p.object, ts(p.at), p.value);
        });
      },
      async history(deviceId, f) {
        const rows = f.object
          ? await all(`SELECT object, at, value FROM status_history WHERE device_id = ? AND object = ? AND at BETWEEN ? AND ? ORDER BY at LIMIT ?`, deviceId, f.object, ts(f.from), ts(f.to), f.limit)
          : await all(`SELECT object, at, value FROM status_history WHERE device_id = ? AND at BETWEEN ? AND ? ORDER BY at, object LIMIT ?`, deviceId, ts(f.from), ts(f.to), f.limit);
        return rows.map((r) => ({ object: r.object as string, at: r.at as number, value: Number(r.value) }));
      },
      async deleteHistoryBefore(t) {
        return run(`DELETE FROM status_history WHERE at < ?`, ts(t));
      },
    },
  };
}
