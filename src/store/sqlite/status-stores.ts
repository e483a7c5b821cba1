import type { DeviceStatus } from '../../domain/status.js';
import type { Store } from '../store.js';
import type { Sql } from './sql.js';

/** Device status and its history. */
export function statusStores(q: Sql): Pick<Store, 'status'> {
  const { db, all, run, one } = q;
  const save = db.transaction((deviceId: string, status: DeviceStatus, points: { object: string; at: number; value: number }[], at: number) => {
    run(
      `INSERT INTO device_status (device_id, status, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
      deviceId, JSON.stringify(status), at,
    );
    for (const p of points) run(`INSERT INTO status_history (device_id, object, at, value) VALUES (?, ?, ?, ?)`, deviceId, p.object, p.at, p.value);
  });
  return {
    status: {
      async get(deviceId) {
        const r = one(`SELECT status FROM device_status WHERE device_id = ?`, deviceId);
        return r ? (JSON.parse(r.status as string) as DeviceStatus) : null;
      },
      async save(deviceId, status, points, at) {
        // A device removed meanwhile has no row to refer to: nothing to save.
        if (!one(`SELECT 1 FROM devices WHERE id = ?`, deviceId)) return;
        save(deviceId, status, points, at);
      },
      async history(deviceId, f) {
        const rows = f.object
          ? all(`SELECT object, at, value FROM status_history WHERE device_id = ? AND object = ? AND at BETWEEN ? AND ? ORDER BY at LIMIT ?`, deviceId, f.object, f.from, f.to, f.limit)
          : all(`SELECT object, at, value FROM status_history WHERE device_id = ? AND at BETWEEN ? AND ? ORDER BY at, object LIMIT ?`, deviceId, f.from, f.to, f.limit);
        return rows.map((r) => ({ object: r.object as string, at: r.at as number, value: r.value as number }));
      },
      async deleteHistoryBefore(t) {
        return run(`DELETE FROM status_history WHERE at < ?`, t);
      },
    },
  };
}
