import type { Device } from '../../domain/devices.js';
import type { CountedPage, DeviceFilter, NewAudit } from '../core.js';
import type { Account, WebSession } from '../../domain/accounts.js';
import type { Store } from '../store.js';
import { toAccount, toAudit, toDevice, toRegistration, toToken, toUser } from '../rows.js';
import { uniquely, type Sql } from './sql.js';
import { where } from '../where.js';
import { deviceListSql, type DeviceListDialect } from '../device-list.js';

type CoreStores = Pick<Store, 'settings' | 'accounts' | 'users' | 'tokens' | 'devices' | 'registrations' | 'webSessions' | 'audit'>;

/** Settings, accounts, people, tokens, devices, registrations, web sessions, audit log. */
const SQLITE_DEVICES: DeviceListDialect = { bool: (b) => (b ? 1 : 0), time: (ms) => ms, seen: 'COALESCE(last_seen_at, 0)' };

export function coreStores(q: Sql): CoreStores {
  const { db, one, all, run, first, stmt } = q;

  const setTags = db.transaction((id: string, tags: string[], at: number): boolean => {
    if (run(`UPDATE devices SET tags = ?, updated_at = ? WHERE id = ?`, JSON.stringify(tags), at, id) !== 1) return false;
    run(`DELETE FROM device_tags WHERE device_id = ?`, id);
    for (const tag of tags) run(`INSERT INTO device_tags (device_id, tag) VALUES (?, ?)`, id, tag);
    return true;
  });

  const insertDevice = (d: Device, tokenHash: string | null): void => {
    run(
      `INSERT INTO devices (id, account_id, serial, model, capabilities, token_hash, online, last_seen_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      d.id, d.accountId, d.serial, d.model, JSON.stringify(d.capabilities), tokenHash,
      d.online ? 1 : 0, d.lastSeenAt, d.createdAt, d.updatedAt,
    );
  };

  const claimTx = db.transaction((id: string, device: Device, expiresAt: number): 'ok' | 'not-pending' | 'conflict' => {
    const row = one(`SELECT state FROM registrations WHERE id = ?`, id);
    if (!row || row.state !== 'pending') return 'not-pending';
    if (one(`SELECT 1 FROM devices WHERE model = ? AND serial = ?`, device.model, device.serial)) {
      run(`UPDATE registrations SET state = 'refused' WHERE id = ?`, id);
      return 'conflict';
    }
    insertDevice(device, null);
    run(`UPDATE registrations SET state = 'claimed', device_id = ?, expires_at = ? WHERE id = ?`, device.id, expiresAt, id);
    return 'ok';
  });

  const deliverTx = db.transaction((id: string, deviceId: string, tokenHash: string, at: number): boolean => {
    if (run(`UPDATE registrations SET state = 'delivered' WHERE id = ? AND state = 'claimed' AND device_id = ?`, id, deviceId) !== 1)
      return false;
    return run(`UPDATE devices SET token_hash = ?, updated_at = ? WHERE id = ?`, tokenHash, at, deviceId) === 1;
  });

  const presenceTx = db.transaction((batch: { deviceId: string; online: boolean; lastSeenAt: number }[]) => {
    const update = stmt(`UPDATE devices SET online = ?, last_seen_at = ? WHERE id = ?`);
    for (const p of batch) update.run(p.online ? 1 : 0, p.lastSeenAt, p.deviceId);
  });


  /** An account's mark changes which of its devices' supplies are low. */
  const updateAccount = db.transaction((a: Account) => {
    run(`UPDATE accounts SET name = ?, status_poll_seconds = ?, supply_low_percent = ? WHERE id = ?`, a.name, a.statusPollSeconds, a.supplyLowPercent, a.id);
    run(`UPDATE device_status SET supply_low = COALESCE(lowest_supply <= ?, 0) WHERE device_id IN (SELECT id FROM devices WHERE account_id = ?)`, a.supplyLowPercent, a.id);
  });

  return {
    settings: {
      async get(key) {
        const r = one(`SELECT value FROM settings WHERE key = ?`, key);
        return r ? String(r.value) : null;
      },
      async set(key, value) {
        run(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
      },
      async ensure(key, value) {
        run(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value);
        return String(one(`SELECT value FROM settings WHERE key = ?`, key)!.value);
      },
    },

    accounts: {
      async insert(a) {
        uniquely(
          () => run(`INSERT INTO accounts (id, name, created_at, status_poll_seconds, supply_low_percent) VALUES (?, ?, ?, ?, ?)`, a.id, a.name, a.createdAt, a.statusPollSeconds, a.supplyLowPercent),
          `account ${a.id} already exists`,
        );
      },
      async update(a) {
        updateAccount(a);
      },
      async get(id) {
        return first(toAccount, `SELECT * FROM accounts WHERE id = ?`, id);
      },
      async list() {
        return all(`SELECT * FROM accounts ORDER BY id LIMIT 10000`).map(toAccount);
      },
    },

    users: {
      async insert(u) {
        const insert = (): number =>
          run(
            `INSERT INTO users (id, name, account_id, admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
            u.id, u.name, u.accountId, u.admin ? 1 : 0, u.passwordHash, u.createdAt,
          );
        uniquely(insert, `user ${u.name} already exists`);
      },
      async byName(name) {
        return first(toUser, `SELECT * FROM users WHERE name = ?`, name);
      },
      async get(id) {
        return first(toUser, `SELECT * FROM users WHERE id = ?`, id);
      },
      async list(accountId) {
        const w = where([['account_id = ?', accountId || undefined]]);
        return all(`SELECT * FROM users ${w.clause} ORDER BY name LIMIT 10000`, ...w.params).map(toUser);
      },
    },

    tokens: {
      async insert(t, hash) {
        run(
          `INSERT INTO api_tokens (id, hash, account_id, admin, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          t.id, hash, t.accountId, t.admin ? 1 : 0, t.label, t.createdAt, t.expiresAt,
        );
      },
      async byHash(hash) {
        return first(toToken, `SELECT * FROM api_tokens WHERE hash = ?`, hash);
      },
      async get(id) {
        return first(toToken, `SELECT * FROM api_tokens WHERE id = ?`, id);
      },
      async list(accountId) {
        const w = where([['account_id = ?', accountId || undefined]]);
        return all(`SELECT * FROM api_tokens ${w.clause} ORDER BY created_at, id LIMIT 10000`, ...w.params).map(toToken);
      },
      async revoke(id, at) {
        return run(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at, id) === 1;
      },
      async touch(id, at) {
        run(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at, id);
      },
    },

    devices: {
      async insert(d, tokenHash) {
        uniquely(() => insertDevice(d, tokenHash), `a device with model ${d.model} and serial ${d.serial} already exists`);
      },
      async get(id) {
        return first(toDevice, `SELECT * FROM devices WHERE id = ?`, id);
      },
      async byModelSerial(model, serial) {
        return first(toDevice, `SELECT * FROM devices WHERE model = ? AND serial = ?`, model, serial);
      },
      async byTokenHash(hash) {
        return first(toDevice, `SELECT * FROM devices WHERE token_hash = ?`, hash);
      },
      async list(f: DeviceFilter): Promise<CountedPage<Device>> {
        const q = deviceListSql(f, SQLITE_DEVICES);
        const rows = all(q.page.sql, ...q.page.params);
        const total = Number(one(q.count.sql, ...q.count.params)!.n);
        return { items: rows.slice(0, f.limit).map(toDevice), nextCursor: q.next(rows), total };
      },
      async setTokenHash(id, hash, at) {
        return run(`UPDATE devices SET token_hash = ?, updated_at = ? WHERE id = ?`, hash, at, id) === 1;
      },
      async setRegistry(id, r, at) {
        const update = (): number =>
          run(
            `UPDATE devices SET registration_number = ?, installation_place = ?, installer = ?, contact = ?, contact_email = ?, legacy_auth = ?, updated_at = ? WHERE id = ?`,
            r.registrationNumber, r.installationPlace, r.installer, r.contact, r.contactEmail, r.legacyAuth ? 1 : 0, at, id,
          );
        return uniquely(update, `registration number ${r.registrationNumber} belongs to another device`) === 1;
      },
      async setTags(id, tags, at) {
        return setTags(id, tags, at);
      },
      async byRegistrationNumber(n) {
        return first(toDevice, `SELECT * FROM devices WHERE registration_number = ?`, n);
      },
      async setCapabilities(id, caps, at) {
        return run(`UPDATE devices SET capabilities = ?, updated_at = ? WHERE id = ?`, JSON.stringify(caps), at, id) === 1;
      },
      async remove(id) {
        return run(`DELETE FROM devices WHERE id = ?`, id) === 1;
      },
      async lastRevocation() {
        return (one(`SELECT max(seq) AS seq FROM device_revocations`)?.seq as number | null) ?? 0;
      },
      async revocationsAfter(seq, limit) {
        return all(`SELECT seq, device_id FROM device_revocations WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit).map((r) => ({
          seq: r.seq as number,
          deviceId: r.device_id as string,
        }));
      },
      async deleteRevocationsBefore(t) {
        return run(`DELETE FROM device_revocations WHERE at < ?`, t);
      },
      async markAllOffline() {
        run(`UPDATE devices SET online = 0 WHERE online = 1`);
      },
      async savePresence(batch) {
        presenceTx(batch);
      },
    },

    registrations: {
      async insert(r, h) {
        run(
          `INSERT INTO registrations (id, poll_hash, claim_hash, pin_hash, serial, model, capabilities, state, attempts, device_id, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          r.id, h.poll, h.claim, h.pin, r.serial, r.model, JSON.stringify(r.capabilities), r.state, r.attempts, r.deviceId,
          r.createdAt, r.expiresAt,
        );
      },
      async byPollHash(hash) {
        return first(toRegistration, `SELECT * FROM registrations WHERE poll_hash = ?`, hash);
      },
      async byClaimHash(hash) {
        const r = one(`SELECT * FROM registrations WHERE claim_hash = ?`, hash);
        return r ? { ...toRegistration(r), pinHash: String(r.pin_hash) } : null;
      },
      async countFailedAttempt(id) {
        run(`UPDATE registrations SET attempts = attempts + 1 WHERE id = ?`, id);
      },
      async claim(id, device, expiresAt) {
        return claimTx.immediate(id, device, expiresAt);
      },
      async deliver(id, deviceId, tokenHash, at) {
        return deliverTx.immediate(id, deviceId, tokenHash, at);
      },
      async deleteExpiredBefore(t) {
        return run(`DELETE FROM registrations WHERE expires_at < ?`, t);
      },
    },

    webSessions: {
      async insert(hash, s: WebSession, createdAt) {
        run(
          `INSERT INTO web_sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
          hash, s.userId, s.csrf, createdAt, s.expiresAt,
        );
      },
      async get(hash) {
        const r = one(`SELECT * FROM web_sessions WHERE hash = ?`, hash);
        return r ? { userId: String(r.user_id), csrf: String(r.csrf), expiresAt: Number(r.expires_at) } : null;
      },
      async remove(hash) {
        run(`DELETE FROM web_sessions WHERE hash = ?`, hash);
      },
      async deleteExpiredBefore(t) {
        return run(`DELETE FROM web_sessions WHERE expires_at < ?`, t);
      },
    },

    audit: {
      async record(e: NewAudit) {
        run(
          `INSERT INTO audit_log (at, actor, account_id, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`,
          e.at, e.actor, e.accountId, e.action, e.target, e.detail ? JSON.stringify(e.detail) : null,
        );
      },
      async list(f) {
        const rows = f.accountId
          ? all(`SELECT * FROM audit_log WHERE account_id = ? ORDER BY id DESC LIMIT ?`, f.accountId, f.limit)
          : all(`SELECT * FROM audit_log ORDER BY id DESC LIMIT ?`, f.limit);
        return rows.map(toAudit);
      },
    },

  };
}
