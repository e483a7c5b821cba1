import { lowestSupply, type DeviceStatus } from '../../domain/status.js';
import type { Store } from '../store.js';
import { where } from '../where.js';
import { ts, type PgSql } from './sql.js';

const toStatus = (r: Record<string, unknown>) => ({ deviceId: r.device_id as string, status: JSON.parse(r.status as string) as DeviceStatus });

/** Device status and its history, and the fleet over time. */
export function statusStores(q: PgSql): Pick<Store, 'status' | 'fleet'> {
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
          const lowest = lowestSupply(status);
          const saved = await s.run(
            `INSERT INTO device_status (device_id, status, lowest_supply, supply_low, updated_at)
             SELECT d.id, ?, ?::double precision, COALESCE(?::double precision <= a.supply_low_percent, false), ? FROM devices d JOIN accounts a ON a.id = d.account_id WHERE d.id = ?
             ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, lowest_supply = excluded.lowest_supply, supply_low = excluded.supply_low, updated_at = excluded.updated_at`,
            JSON.stringify(status), lowest, lowest, ts(at), deviceId,
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
      async lowest(f) {
        const w = where([['s.lowest_supply <= ?', f.atMost], ['d.account_id = ?', f.accountId]]);
        return (await all(`SELECT s.device_id, s.status FROM device_status s JOIN devices d ON d.id = s.device_id ${w.clause} ORDER BY s.lowest_supply, s.device_id LIMIT ?`, ...w.params, f.limit)).map(toStatus);
      },
    },
    fleet: {
      async sample(at) {
        await run(
          `INSERT INTO fleet_samples (account_id, at, devices, online) SELECT account_id, ?, COUNT(*), COUNT(*) FILTER (WHERE online) FROM devices GROUP BY account_id
           ON CONFLICT (account_id, at) DO UPDATE SET devices = excluded.devices, online = excluded.online`,
          ts(at),
        );
      },
      async samples(f) {
        const w = where([['at >= ?', ts(f.from)], ['account_id = ?', f.accountId]]);
        return (await all(`SELECT at, SUM(devices) AS devices, SUM(online) AS online FROM fleet_samples ${w.clause} GROUP BY at ORDER BY at`, ...w.params)).map((r) => ({
          at: Number(r.at),
          devices: Number(r.devices),
          online: Number(r.online),
        }));
      },
      async count(deviceId, day, add) {
        await run(
          `INSERT INTO fleet_days (account_id, day, jobs, pages) SELECT account_id, ?, ?, ? FROM devices WHERE id = ?
           ON CONFLICT (account_id, day) DO UPDATE SET jobs = fleet_days.jobs + excluded.jobs, pages = fleet_days.pages + excluded.pages`,
          day, add.jobs ?? 0, add.pages ?? 0, deviceId,
        );
      },
      async days(f) {
        const w = where([['day >= ?', f.from], ['account_id = ?', f.accountId]]);
        return (await all(`SELECT day, SUM(jobs) AS jobs, SUM(pages) AS pages FROM fleet_days ${w.clause} GROUP BY day ORDER BY day`, ...w.params)).map((r) => ({
          day: String(r.day),
          jobs: Number(r.jobs),
          pages: Number(r.pages),
        }));
      },
      async deleteBefore(t, day) {
        await run(`DELETE FROM fleet_samples WHERE at < ?`, ts(t));
        await run(`DELETE FROM fleet_days WHERE day < ?`, day);
      },
    },
  };
}
