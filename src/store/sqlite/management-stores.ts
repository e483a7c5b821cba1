import type { MeterOffset, MeterRead } from '../../domain/billing.js';
import type { StoredReport } from '../../domain/reports.js';
import type { QueuedRequest } from '../../domain/push.js';
import type { Store } from '../store.js';
import { toAlert, toCode, toFirmware, toQueued, toRead, toReport, toWebhook } from '../rows.js';
import { uniquely, type Sql } from './sql.js';
import { where } from '../where.js';
import type { GroupCommit } from './group-commit.js';

type ManagementStores = Pick<Store, 'codes' | 'reports' | 'alerts' | 'firmware' | 'webhooks' | 'meter' | 'pushQueue'>;

/**
 * Push queue, reports, code tables, alerts, meter offsets, firmware, webhooks. The writes every
 * device report makes (the report, the counters check, the alert) go through the group commit.
 */
export function managementStores(q: Sql, group: GroupCommit): ManagementStores {
  const { db, one, all, run, first, stmt } = q;

  const insertReport = (r: Omit<StoredReport, 'reception'>): number =>
    Number(
      stmt(
        `INSERT INTO reports (device_id, account_id, type, namespace, code, text, quantity, total, mono, colour, via, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.deviceId, r.accountId, r.type, r.namespace, r.code, r.text, r.quantity, r.total, r.mono, r.colour, r.via, r.receivedAt).lastInsertRowid,
    );
  const lastCounters = (deviceId: string): MeterRead | null =>
    first(toRead, `SELECT received_at, total, mono, colour FROM reports WHERE device_id = ? AND type = 'counters' ORDER BY reception DESC LIMIT 1`, deviceId);
  const offsets = (deviceId: string): MeterOffset[] => all(`SELECT at, total, mono, colour FROM meter_offsets WHERE device_id = ? ORDER BY at, id`, deviceId).map(toRead);
  // Runs inside the group's IMMEDIATE transaction: the write lock is taken before the read, so
  // another process cannot slip a report in between either; earlier reports of the group are seen.
  const counters = (r: Omit<StoredReport, 'reception'>, refuse: (last: MeterRead | null, o: MeterOffset[]) => string | null): number | { refused: string } => {
    const why = refuse(lastCounters(r.deviceId), offsets(r.deviceId));
    return why ? { refused: why } : insertReport(r);
  };

  const takeTx = db.transaction((deviceId: string, now: number, limit: number): QueuedRequest[] => {
    const rows = all(
      `SELECT * FROM push_queue WHERE device_id = ? AND state = 'queued' AND expires_at > ? ORDER BY created_at, id LIMIT ?`,
      deviceId, now, limit,
    );
    for (const r of rows) run(`UPDATE push_queue SET state = 'delivered', delivered_at = ? WHERE id = ?`, now, r.id);
    return rows.map((r) => ({ ...toQueued(r), state: 'delivered' as const, deliveredAt: now }));
  });

  // A repeat counts on the unresolved alert (the partial unique index alerts_active finds it) in
  // one UPDATE … RETURNING; otherwise a new one opens. Runs inside the group's transaction, and
  // makes one change at most (the UPDATE or the INSERT), so it needs no savepoint of its own.
  const raise = (a: { deviceId: string; accountId: string; key: string; type: string; code: string | null; description: string; reception: number; at: number }) => {
    const repeat = one(
      `UPDATE alerts SET count = count + 1, last_reception = ?, updated_at = ? WHERE device_id = ? AND key = ? AND state != 'resolved' RETURNING *`,
      a.reception, a.at, a.deviceId, a.key,
    );
    if (repeat) return { alert: toAlert(repeat), opened: false };
    const opened = one(
      `INSERT INTO alerts (device_id, account_id, key, type, code, description, state, first_reception, last_reception, opened_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?) RETURNING *`,
      a.deviceId, a.accountId, a.key, a.type, a.code, a.description, a.reception, a.reception, a.at, a.at,
    );
    return { alert: toAlert(opened!), opened: true };
  };

  return {
    codes: {
      async get(namespace, code) {
        return first(toCode, `SELECT * FROM codes WHERE namespace = ? AND code = ?`, namespace, code);
      },
      async list(namespace) {
        const w = where([['namespace = ?', namespace || undefined]]);
        return all(`SELECT * FROM codes ${w.clause} ORDER BY namespace, code LIMIT 10000`, ...w.params).map(toCode);
      },
      async put(c) {
        run(
          `INSERT INTO codes (namespace, code, kind, description, reply) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (namespace, code) DO UPDATE SET kind = excluded.kind, description = excluded.description, reply = excluded.reply`,
          c.namespace, c.code, c.kind, c.description, c.reply,
        );
      },
      async remove(namespace, code) {
        return run(`DELETE FROM codes WHERE namespace = ? AND code = ?`, namespace, code) === 1;
      },
    },

    reports: {
      insert(r) {
        return group.run(() => insertReport(r), { oneChange: true });
      },
      insertCounters(r, refuse) {
        // Two reads, then (unless refused) one insert.
        return group.run(() => counters(r, refuse), { oneChange: true });
      },
      async readsForPeriod(deviceId, from, to) {
        const before = one(
          `SELECT received_at, total, mono, colour FROM reports WHERE device_id = ? AND type = 'counters' AND received_at <= ? ORDER BY received_at DESC, reception DESC LIMIT 1`,
          deviceId, from,
        );
        const inside = all(
          `SELECT received_at, total, mono, colour FROM reports WHERE device_id = ? AND type = 'counters' AND received_at > ? AND received_at < ? ORDER BY received_at, reception`,
          deviceId, from, to,
        );
        return [...(before ? [before] : []), ...inside].map(toRead);
      },
      async list(f) {
        const w = where([['account_id = ?', f.accountId], ['device_id = ?', f.deviceId]]);
        return all(`SELECT * FROM reports ${w.clause} ORDER BY reception DESC LIMIT ?`, ...w.params, f.limit).map(toReport);
      },
      async deleteHeartbeatsBefore(t) {
        return run(`DELETE FROM reports WHERE type = 'heartbeat' AND received_at < ?`, t);
      },
    },

    alerts: {
      raise(a) {
        return group.run(() => raise(a), { oneChange: true });
      },
      async get(id) {
        return first(toAlert, `SELECT * FROM alerts WHERE id = ?`, id);
      },
      async list(f) {
        const w = where([['account_id = ?', f.accountId], ['device_id = ?', f.deviceId], ['state = ?', f.state], ['id < ?', f.cursor]]);
        return all(`SELECT * FROM alerts ${w.clause} ORDER BY id DESC LIMIT ?`, ...w.params, f.limit).map(toAlert);
      },
      async acknowledge(id, by, at) {
        return run(`UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ? WHERE id = ? AND state = 'open'`, at, by, at, id) === 1;
      },
      async resolve(target, by, at) {
        const r = 'id' in target
          ? one(`SELECT * FROM alerts WHERE id = ? AND state != 'resolved'`, target.id)
          : one(`SELECT * FROM alerts WHERE device_id = ? AND key = ? AND state != 'resolved'`, target.deviceId, target.key);
        if (!r) return null;
        run(`UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, updated_at = ? WHERE id = ?`, at, by, at, r.id);
        return toAlert(one(`SELECT * FROM alerts WHERE id = ?`, r.id)!);
      },
    },

    firmware: {
      async insert(f) {
        const insert = (): number =>
          run(
            `INSERT INTO firmware (id, model, version, size, sha256, signature, rollout_percent, uploaded_at, uploaded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            f.id, f.model, f.version, f.size, f.sha256, f.signature, f.rolloutPercent, f.uploadedAt, f.uploadedBy,
          );
        uniquely(insert, `${f.model} ${f.version} is already uploaded`);
      },
      async get(id) {
        return first(toFirmware, `SELECT * FROM firmware WHERE id = ?`, id);
      },
      async byModelVersion(model, version) {
        return first(toFirmware, `SELECT * FROM firmware WHERE model = ? AND version = ?`, model, version);
      },
      async forModel(model) {
        return all(`SELECT * FROM firmware WHERE model = ? LIMIT 1000`, model).map(toFirmware);
      },
      async list() {
        return all(`SELECT * FROM firmware ORDER BY model, uploaded_at LIMIT 10000`).map(toFirmware);
      },
      async setRollout(id, percent) {
        run(`UPDATE firmware SET rollout_percent = ? WHERE id = ?`, percent, id);
      },
      async recordSent(deviceId, f, reception, at) {
        run(`INSERT INTO firmware_history (device_id, firmware_id, version, reception, sent_at) VALUES (?, ?, ?, ?, ?)`, deviceId, f.id, f.version, reception, at);
      },
      async history(deviceId) {
        return all(`SELECT firmware_id, version, reception, sent_at FROM firmware_history WHERE device_id = ? ORDER BY id DESC LIMIT 100`, deviceId).map((r) => ({
          firmwareId: String(r.firmware_id),
          version: String(r.version),
          reception: Number(r.reception),
          sentAt: Number(r.sent_at),
        }));
      },
      async setDeviceVersion(deviceId, version) {
        run(`UPDATE devices SET firmware_version = ? WHERE id = ?`, version, deviceId);
      },
      async setDeviceTarget(deviceId, version) {
        run(`UPDATE devices SET firmware_target = ? WHERE id = ?`, version, deviceId);
      },
      async running(accountId) {
        const w = where([['account_id = ?', accountId]]);
        return (all(`SELECT model, firmware_version, COUNT(*) AS n FROM devices ${w.clause} GROUP BY model, firmware_version ORDER BY model, firmware_version`, ...w.params)).map((r) => ({
          model: String(r.model),
          version: r.firmware_version === null ? null : String(r.firmware_version),
          devices: Number(r.n),
        }));
      },
    },

    webhooks: {
      async insert(w) {
        run(`INSERT INTO webhooks (id, account_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)`, w.id, w.accountId, w.url, JSON.stringify(w.events), w.secret, w.createdAt);
      },
      async list() {
        return all(`SELECT * FROM webhooks ORDER BY created_at, id LIMIT 1000`).map(toWebhook);
      },
      async get(id) {
        return first(toWebhook, `SELECT * FROM webhooks WHERE id = ?`, id);
      },
      async remove(id) {
        return run(`DELETE FROM webhooks WHERE id = ?`, id) === 1;
      },
    },

    meter: {
      async addOffset(deviceId, o, createdBy) {
        run(`INSERT INTO meter_offsets (device_id, at, total, mono, colour, created_by) VALUES (?, ?, ?, ?, ?, ?)`, deviceId, o.at, o.total, o.mono, o.colour, createdBy);
      },
      async offsets(deviceId) {
        return offsets(deviceId);
      },
    },

    pushQueue: {
      async insert(q) {
        run(
          `INSERT INTO push_queue (id, device_id, account_id, op, payload, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`,
          q.requestId, q.deviceId, q.accountId, q.op, JSON.stringify(q.op === 'get' ? { oids: q.oids } : { objects: q.objects }), q.createdAt, q.expiresAt,
        );
      },
      async get(requestId) {
        return first(toQueued, `SELECT * FROM push_queue WHERE id = ?`, requestId);
      },
      async countQueued(deviceId, now) {
        return Number(one(`SELECT count(*) AS n FROM push_queue WHERE device_id = ? AND state = 'queued' AND expires_at > ?`, deviceId, now)?.n ?? 0);
      },
      async take(deviceId, now, limit) {
        return takeTx.immediate(deviceId, now, limit);
      },
      async delivered(deviceId, now, limit) {
        return all(`SELECT * FROM push_queue WHERE device_id = ? AND state = 'delivered' AND expires_at > ? ORDER BY created_at, id LIMIT ?`, deviceId, now, limit).map(toQueued);
      },
      async release(requestId) {
        run(`UPDATE push_queue SET state = 'queued', delivered_at = NULL WHERE id = ? AND state = 'delivered'`, requestId);
      },
      async complete(requestId, deviceId, answer, at) {
        return (
          run(
            `UPDATE push_queue SET state = 'answered', answer = ?, answered_at = ? WHERE id = ? AND device_id = ? AND state = 'delivered'`,
            JSON.stringify(answer), at, requestId, deviceId,
          ) === 1
        );
      },
      async deleteExpiredBefore(t) {
        return run(`DELETE FROM push_queue WHERE expires_at < ?`, t);
      },
    },

  };
}
