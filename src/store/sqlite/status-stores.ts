import { lowestSupply, type DeviceStatus } from '../../domain/status.js';
import type { Store } from '../store.js';
import { where } from '../where.js';
import type { Sql } from './sql.js';

const toStatus = (r: Record<string, unknown>) => ({ deviceId: r.device_id as string, status: JSON.parse(r.status as string) as DeviceStatus });

/** Device status and its history, and the fleet over time. */
export function statusStores(q: Sql): Pick<Store, 'status' | 'fleet'> {
  const { db, all, run, one } = q;
  const save = db.transaction((deviceId: string, status: DeviceStatus, points: { object: string; at: number; value: number }[], at: number) => {
    const lowest = lowestSupply(status);
    run(
      `INSERT INTO device_status (device_id, status, lowest_supply, supply_low, updated_at)
       VALUES (?, ?, ?, COALESCE(? <= (SELECT a.supply_low_percent FROM devices d JOIN accounts a ON a.id = d.account_id WHERE d.id = ?), 0), ?)
       ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, lowest_supply = excluded.lowest_supply, supply_low = excluded.supply_low, updated_at = excluded.updated_at`,
      deviceId, JSON.stringify(status), lowest, lowest, deviceId, at,
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
      async lowest(f) {
        const w = where([['s.lowest_supply <= ?', f.atMost], ['d.account_id = ?', f.accountId]]);
        return all(`SELECT s.device_id, s.status FROM device_status s JOIN devices d ON d.id = s.device_id ${w.clause} ORDER BY s.lowest_supply, s.device_id LIMIT ?`, ...w.params, f.limit).map(toStatus);
      },
    },
    fleet: {
      async sample(at) {
        run(
          `INSERT INTO fleet_samples (account_id, at, devices, online) SELECT account_id, ?, COUNT(*), SUM(online) FROM devices WHERE 1 GROUP BY account_id
           ON CONFLICT (account_id, at) DO UPDATE SET devices = excluded.devices, online = excluded.online`,
          at,
        );
      },
      async samples(f) {
        const w = where([['at >= ?', f.from], ['account_id = ?', f.accountId]]);
        return all(`SELECT at, SUM(devices) AS devices, SUM(online) AS online FROM fleet_samples ${w.clause} GROUP BY at ORDER BY at`, ...w.params).map((r) => ({
          at: Number(r.at),
          devices: Number(r.devices),
          online: Number(r.online),
        }));
      },
      async count(deviceId, day, add) {
        run(
          `INSERT INTO fleet_days (account_id, day, jobs, pages) SELECT account_id, ?, ?, ? FROM devices WHERE id = ?
           ON CONFLICT (account_id, day) DO UPDATE SET jobs = fleet_days.jobs + excluded.jobs, pages = fleet_days.pages + excluded.pages`,
          day, add.jobs ?? 0, add.pages ?? 0, deviceId,
        );
      },
      async days(f) {
        const w = where([['day >= ?', f.from], ['account_id = ?', f.accountId]]);
        return all(`SELECT day, SUM(jobs) AS jobs, SUM(pages) AS pages FROM fleet_days ${w.clause} GROUP BY day ORDER BY day`, ...w.params).map((r) => ({
          day: String(r.day),
          jobs: Number(r.jobs),
          pages: Number(r.pages),
        }));
      },
      async deleteBefore(t, day) {
        run(`DELETE FROM fleet_samples WHERE at < ?`, t);
        run(`DELETE FROM fleet_days WHERE day < ?`, day);
      },
    },
  };
}
