import type { MeterOffset, MeterRead } from '../../domain/billing.js';
import type { StoredReport } from '../../domain/reports.js';
import type { Store } from '../store.js';
import { toAlert, toCode, toFirmware, toQueued, toRead, toReport, toWebhook } from '../rows.js';
import { ts, uniquely, type PgSql } from './sql.js';
import { where } from '../where.js';

type ManagementStores = Pick<Store, 'codes' | 'reports' | 'alerts' | 'firmware' | 'webhooks' | 'meter' | 'pushQueue'>;

/** Push queue, reports, code tables, alerts, meter offsets, firmware, webhooks. */
export function managementStores(q: PgSql): ManagementStores {
  const { one, all, run, first, tx } = q;

  const insertReport = async (s: PgSql, r: Omit<StoredReport, 'reception'>): Promise<number> =>
    Number(
      (await s.one(
        `INSERT INTO reports (device_id, account_id, type, namespace, code, text, quantity, total, mono, colour, via, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING reception`,
        r.deviceId, r.accountId, r.type, r.namespace, r.code, r.text, r.quantity, r.total, r.mono, r.colour, r.via, ts(r.receivedAt),
      ))!.reception,
    );
  /**
   * The device row lock serializes its counters reports: the second waits here (NO KEY UPDATE, so
   * plain reports, whose foreign key check takes KEY SHARE, are not held up). The reads come in a
   * statement of their own, after the lock: one statement's snapshot is taken before it waits, so
   * it would not see the report the lock holder has just committed.
   */
  const lockForCounters = async (s: PgSql, deviceId: string): Promise<{ last: MeterRead | null; hasOffsets: boolean }> => {
    await s.one(`SELECT 1 FROM devices WHERE id = ? FOR NO KEY UPDATE`, deviceId);
    const row = await s.one(
      `SELECT l.received_at, l.total, l.mono, l.colour, EXISTS (SELECT 1 FROM meter_offsets WHERE device_id = ?) AS has_offsets
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (SELECT received_at, total, mono, colour FROM reports WHERE device_id = ? AND type = 'counters' ORDER BY reception DESC LIMIT 1) l ON true`,
      deviceId, deviceId,
    );
    return { last: row && row.received_at !== null ? toRead(row) : null, hasOffsets: row?.has_offsets === true };
  };
  const offsets = async (s: PgSql, deviceId: string): Promise<MeterOffset[]> =>
    (await s.all(`SELECT at, total, mono, colour FROM meter_offsets WHERE device_id = ? ORDER BY at, id`, deviceId)).map(toRead);

  return {
    codes: {
      async get(namespace, code) {
        return first(toCode, `SELECT * FROM codes WHERE namespace = ? AND code = ?`, namespace, code);
      },
      async list(namespace) {
        const w = where([['namespace = ?', namespace || undefined]]);
        return (await all(`SELECT * FROM codes ${w.clause} ORDER BY namespace, code LIMIT 10000`, ...w.params)).map(toCode);
      },
      async put(c) {
        await run(
          `INSERT INTO codes (namespace, code, kind, description, reply) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (namespace, code) DO UPDATE SET kind = excluded.kind, description = excluded.description, reply = excluded.reply`,
          c.namespace, c.code, c.kind, c.description, c.reply,
        );
      },
      async remove(namespace, code) {
        return (await run(`DELETE FROM codes WHERE namespace = ? AND code = ?`, namespace, code)) === 1;
      },
    },

    reports: {
      async insert(r) {
        return insertReport(q, r);
      },
      async insertCounters(r, refuse) {
        return tx(async (t) => {
          const { last, hasOffsets } = await lockForCounters(t, r.deviceId);
          const why = refuse(last, hasOffsets ? await offsets(t, r.deviceId) : []);
          return why ? { refused: why } : insertReport(t, r);
        });
      },
      async readsForPeriod(deviceId, from, to) {
        const before = await one(
          `SELECT received_at, total, mono, colour FROM reports WHERE device_id = ? AND type = 'counters' AND received_at <= ? ORDER BY received_at DESC, reception DESC LIMIT 1`,
          deviceId, ts(from),
        );
        const inside = await all(
          `SELECT received_at, total, mono, colour FROM reports WHERE device_id = ? AND type = 'counters' AND received_at > ? AND received_at < ? ORDER BY received_at, reception`,
          deviceId, ts(from), ts(to),
        );
        return [...(before ? [before] : []), ...inside].map(toRead);
      },
      async list(f) {
        const w = where([['account_id = ?', f.accountId], ['device_id = ?', f.deviceId]]);
        return (await all(`SELECT * FROM reports ${w.clause} ORDER BY reception DESC LIMIT ?`, ...w.params, f.limit)).map(toReport);
      },
      async deleteHeartbeatsBefore(t) {
        return run(`DELETE FROM reports WHERE type = 'heartbeat' AND received_at < ?`, ts(t));
      },
    },

    alerts: {
      async raise(a) {
        // One statement on the partial unique index of unresolved alerts: opens one, or counts one
        // more report on it. xmax is 0 only on a row this statement inserted.
        const r = (await one(
          `INSERT INTO alerts (device_id, account_id, key, type, code, description, state, first_reception, last_reception, opened_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)
           ON CONFLICT (device_id, key) WHERE state <> 'resolved'
           DO UPDATE SET count = alerts.count + 1, last_reception = excluded.last_reception, updated_at = excluded.updated_at
           RETURNING *, (xmax = 0) AS opened`,
          a.deviceId, a.accountId, a.key, a.type, a.code, a.description, a.reception, a.reception, ts(a.at), ts(a.at),
        ))!;
        return { alert: toAlert(r), opened: r.opened === true };
      },
      async get(id) {
        return first(toAlert, `SELECT * FROM alerts WHERE id = ?`, id);
      },
      async list(f) {
        const w = where([['account_id = ?', f.accountId], ['device_id = ?', f.deviceId], ['state = ?', f.state], ['id < ?', f.cursor]]);
        return (await all(`SELECT * FROM alerts ${w.clause} ORDER BY id DESC LIMIT ?`, ...w.params, f.limit)).map(toAlert);
      },
      async acknowledge(id, by, at) {
        return (await run(`UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ? WHERE id = ? AND state = 'open'`, ts(at), by, ts(at), id)) === 1;
      },
      async resolve(target, by, at) {
        const set = `UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, updated_at = ?`;
        return 'id' in target
          ? first(toAlert, `${set} WHERE id = ? AND state <> 'resolved' RETURNING *`, ts(at), by, ts(at), target.id)
          : first(toAlert, `${set} WHERE device_id = ? AND key = ? AND state <> 'resolved' RETURNING *`, ts(at), by, ts(at), target.deviceId, target.key);
      },
    },

    firmware: {
      async insert(f) {
        const insert = (): Promise<number> =>
          run(
            `INSERT INTO firmware (id, model, version, size, sha256, signature, rollout_percent, uploaded_at, uploaded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            f.id, f.model, f.version, f.size, f.sha256, f.signature, f.rolloutPercent, ts(f.uploadedAt), f.uploadedBy,
          );
        await uniquely(insert, `${f.model} ${f.version} is already uploaded`);
      },
      async get(id) {
        return first(toFirmware, `SELECT * FROM firmware WHERE id = ?`, id);
      },
      async byModelVersion(model, version) {
        return first(toFirmware, `SELECT * FROM firmware WHERE model = ? AND version = ?`, model, version);
      },
      async forModel(model) {
        return (await all(`SELECT * FROM firmware WHERE model = ? LIMIT 1000`, model)).map(toFirmware);
      },
      async list() {
        return (await all(`SELECT * FROM firmware ORDER BY model, uploaded_at LIMIT 10000`)).map(toFirmware);
      },
      async setRollout(id, percent) {
        await run(`UPDATE firmware SET rollout_percent = ? WHERE id = ?`, percent, id);
      },
      async recordSent(deviceId, f, reception, at) {
        await run(`INSERT INTO firmware_history (device_id, firmware_id, version, reception, sent_at) VALUES (?, ?, ?, ?, ?)`, deviceId, f.id, f.version, reception, ts(at));
      },
      async history(deviceId) {
        return (await all(`SELECT firmware_id, version, reception, sent_at FROM firmware_history WHERE device_id = ? ORDER BY id DESC LIMIT 100`, deviceId)).map((r) => ({
          firmwareId: String(r.firmware_id),
          version: String(r.version),
          reception: Number(r.reception),
          sentAt: Number(r.sent_at),
        }));
      },
      async setDeviceVersion(deviceId, version) {
        await run(`UPDATE devices SET firmware_version = ? WHERE id = ?`, version, deviceId);
      },
      async setDeviceTarget(deviceId, version) {
        await run(`UPDATE devices SET firmware_target = ? WHERE id = ?`, version, deviceId);
      },
      async running(accountId) {
        const w = where([['account_id = ?', accountId]]);
        return (await all(`SELECT model, firmware_version, COUNT(*) AS n FROM devices ${w.clause} GROUP BY model, firmware_version ORDER BY model, firmware_version`, ...w.params)).map((r) => ({
          model: String(r.model),
          version: r.firmware_version === null ? null : String(r.firmware_version),
          devices: Number(r.n),
        }));
      },
    },

    webhooks: {
      async insert(w) {
        await run(`INSERT INTO webhooks (id, account_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)`, w.id, w.accountId, w.url, JSON.stringify(w.events), w.secret, ts(w.createdAt));
      },
      async list() {
        return (await all(`SELECT * FROM webhooks ORDER BY created_at, id LIMIT 1000`)).map(toWebhook);
      },
      async get(id) {
        return first(toWebhook, `SELECT * FROM webhooks WHERE id = ?`, id);
      },
      async remove(id) {
        return (await run(`DELETE FROM webhooks WHERE id = ?`, id)) === 1;
      },
    },

    meter: {
      async addOffset(deviceId, o, createdBy) {
        await run(`INSERT INTO meter_offsets (device_id, at, total, mono, colour, created_by) VALUES (?, ?, ?, ?, ?, ?)`, deviceId, ts(o.at), o.total, o.mono, o.colour, createdBy);
      },
      async offsets(deviceId) {
        return offsets(q, deviceId);
      },
    },

    pushQueue: {
      async insert(r) {
        await run(
          `INSERT INTO push_queue (id, device_id, account_id, op, payload, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`,
          r.requestId, r.deviceId, r.accountId, r.op, JSON.stringify(r.op === 'get' ? { oids: r.oids } : { objects: r.objects }), ts(r.createdAt), ts(r.expiresAt),
        );
      },
      async get(requestId) {
        return first(toQueued, `SELECT * FROM push_queue WHERE id = ?`, requestId);
      },
      async countQueued(deviceId, now) {
        return Number((await one(`SELECT count(*) AS n FROM push_queue WHERE device_id = ? AND state = 'queued' AND expires_at > ?`, deviceId, ts(now)))?.n ?? 0);
      },
      async take(deviceId, now, limit) {
        // One statement; SKIP LOCKED: requests another relay is taking right now are its own.
        const rows = await all(
          `WITH taken AS (
             UPDATE push_queue SET state = 'delivered', delivered_at = ?
             WHERE id IN (SELECT id FROM push_queue WHERE device_id = ? AND state = 'queued' AND expires_at > ? ORDER BY created_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
               AND state = 'queued'
             RETURNING *)
           SELECT * FROM taken ORDER BY created_at, id`,
          ts(now), deviceId, ts(now), limit,
        );
        return rows.map(toQueued);
      },
      async delivered(deviceId, now, limit) {
        return (await all(`SELECT * FROM push_queue WHERE device_id = ? AND state = 'delivered' AND expires_at > ? ORDER BY created_at, id LIMIT ?`, deviceId, ts(now), limit)).map(toQueued);
      },
      async release(requestId) {
        await run(`UPDATE push_queue SET state = 'queued', delivered_at = NULL WHERE id = ? AND state = 'delivered'`, requestId);
      },
      async complete(requestId, deviceId, answer, at) {
        return (
          (await run(
            `UPDATE push_queue SET state = 'answered', answer = ?, answered_at = ? WHERE id = ? AND device_id = ? AND state = 'delivered'`,
            JSON.stringify(answer), ts(at), requestId, deviceId,
          )) === 1
        );
      },
      async deleteExpiredBefore(t) {
        return run(`DELETE FROM push_queue WHERE expires_at < ?`, ts(t));
      },
    },
  };
}
