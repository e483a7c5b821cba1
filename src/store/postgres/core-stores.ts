import type { Device } from '../../domain/devices.js';
import type { CountedPage, DeviceFilter, NewAudit } from '../core.js';
import type { WebSession } from '../../domain/accounts.js';
import type { Store } from '../store.js';
import { toAccount, toAudit, toDevice, toRegistration, toToken, toUser } from '../rows.js';
import { ts, uniquely, type PgSql } from './sql.js';
import { where } from '../where.js';
import { deviceListSql, type DeviceListDialect } from '../device-list.js';

type CoreStores = Pick<Store, 'settings' | 'accounts' | 'users' | 'tokens' | 'devices' | 'registrations' | 'webSessions' | 'audit'>;

const INSERT_DEVICE = `INSERT INTO devices (id, account_id, serial, model, capabilities, token_hash, online, last_seen_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const deviceParams = (d: Device, tokenHash: string | null): unknown[] => [
  d.id, d.accountId, d.serial, d.model, JSON.stringify(d.capabilities), tokenHash,
  d.online, ts(d.lastSeenAt), ts(d.createdAt), ts(d.updatedAt),
];

/** Settings, accounts, people, tokens, devices, registrations, web sessions, audit log. */
const POSTGRES_DEVICES: DeviceListDialect = { bool: (b) => b, time: (ms) => ts(ms), seen: "COALESCE(last_seen_at, 'epoch'::timestamptz)" };

export function coreStores(q: PgSql): CoreStores {
  const { one, all, run, first, tx } = q;

  return {
    settings: {
      async get(key) {
        const r = await one(`SELECT value FROM settings WHERE key = ?`, key);
        return r ? String(r.value) : null;
      },
      async set(key, value) {
        await run(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
      },
      async ensure(key, value) {
        await run(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value);
        return String((await one(`SELECT value FROM settings WHERE key = ?`, key))!.value);
      },
    },

    accounts: {
      async insert(a) {
        await uniquely(
          () => run(`INSERT INTO accounts (id, name, created_at, status_poll_seconds, supply_low_percent) VALUES (?, ?, ?, ?, ?)`, a.id, a.name, ts(a.createdAt), a.statusPollSeconds, a.supplyLowPercent),
          `account ${a.id} already exists`,
        );
      },
      async update(a) {
        // An account's mark changes which of its devices' supplies are low.
        await tx(async (t) => {
          await t.run(`UPDATE accounts SET name = ?, status_poll_seconds = ?, supply_low_percent = ? WHERE id = ?`, a.name, a.statusPollSeconds, a.supplyLowPercent, a.id);
          await t.run(`UPDATE device_status SET supply_low = COALESCE(lowest_supply <= ?, false) WHERE device_id IN (SELECT id FROM devices WHERE account_id = ?)`, a.supplyLowPercent, a.id);
        });
      },
      async get(id) {
        return first(toAccount, `SELECT * FROM accounts WHERE id = ?`, id);
      },
      async list() {
        return (await all(`SELECT * FROM accounts ORDER BY id LIMIT 10000`)).map(toAccount);
      },
    },

    users: {
      async insert(u) {
        const insert = (): Promise<number> =>
          run(
            `INSERT INTO users (id, name, account_id, admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
            u.id, u.name, u.accountId, u.admin, u.passwordHash, ts(u.createdAt),
          );
        await uniquely(insert, `user ${u.name} already exists`);
      },
      async byName(name) {
        return first(toUser, `SELECT * FROM users WHERE name = ?`, name);
      },
      async get(id) {
        return first(toUser, `SELECT * FROM users WHERE id = ?`, id);
      },
      async list(accountId) {
        const w = where([['account_id = ?', accountId || undefined]]);
        return (await all(`SELECT * FROM users ${w.clause} ORDER BY name LIMIT 10000`, ...w.params)).map(toUser);
      },
    },

    tokens: {
      async insert(t, hash) {
        await run(
          `INSERT INTO api_tokens (id, hash, account_id, admin, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          t.id, hash, t.accountId, t.admin, t.label, ts(t.createdAt), ts(t.expiresAt),
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
        return (await all(`SELECT * FROM api_tokens ${w.clause} ORDER BY created_at, id LIMIT 10000`, ...w.params)).map(toToken);
      },
      async revoke(id, at) {
        return (await run(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ts(at), id)) === 1;
      },
      async touch(id, at) {
        await run(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ts(at), id);
      },
    },

    devices: {
      async insert(d, tokenHash) {
        await uniquely(() => run(INSERT_DEVICE, ...deviceParams(d, tokenHash)), `a device with model ${d.model} and serial ${d.serial} already exists`);
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
        const q = deviceListSql(f, POSTGRES_DEVICES);
        const [rows, counted] = await Promise.all([all(q.page.sql, ...q.page.params), one(q.count.sql, ...q.count.params)]);
        return { items: rows.slice(0, f.limit).map(toDevice), nextCursor: q.next(rows), total: Number(counted!.n) };
      },
      async setTokenHash(id, hash, at) {
        return (await run(`UPDATE devices SET token_hash = ?, updated_at = ? WHERE id = ?`, hash, ts(at), id)) === 1;
      },
      async setRegistry(id, r, at) {
        const update = (): Promise<number> =>
          run(
            `UPDATE devices SET registration_number = ?, installation_place = ?, installer = ?, contact = ?, contact_email = ?, legacy_auth = ?, updated_at = ? WHERE id = ?`,
            r.registrationNumber, r.installationPlace, r.installer, r.contact, r.contactEmail, r.legacyAuth, ts(at), id,
          );
        return (await uniquely(update, `registration number ${r.registrationNumber} belongs to another device`)) === 1;
      },
      async setTags(id, tags, at) {
        return tx(async (s) => {
          if ((await s.run(`UPDATE devices SET tags = ?, updated_at = ? WHERE id = ?`, JSON.stringify(tags), ts(at), id)) !== 1) return false;
          await s.run(`DELETE FROM device_tags WHERE device_id = ?`, id);
          for (const tag of tags) await s.run(`INSERT INTO device_tags (device_id, tag) VALUES (?, ?)`, id, tag);
          return true;
        });
      },
      async byRegistrationNumber(n) {
        return first(toDevice, `SELECT * FROM devices WHERE registration_number = ?`, n);
      },
      async setCapabilities(id, caps, at) {
        return (await run(`UPDATE devices SET capabilities = ?, updated_at = ? WHERE id = ?`, JSON.stringify(caps), ts(at), id)) === 1;
      },
      async remove(id) {
        return (await run(`DELETE FROM devices WHERE id = ?`, id)) === 1;
      },
      async lastRevocation() {
        return ((await one(`SELECT max(seq) AS seq FROM device_revocations`))?.seq as number | null) ?? 0;
      },
      async revocationsAfter(seq, limit) {
        return (await all(`SELECT seq, device_id FROM device_revocations WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)).map((r) => ({
          seq: r.seq as number,
          deviceId: r.device_id as string,
        }));
      },
      async deleteRevocationsBefore(t) {
        return run(`DELETE FROM device_revocations WHERE at < ?`, ts(t));
      },
      async markAllOffline() {
        await run(`UPDATE devices SET online = false WHERE online`);
      },
      async savePresence(batch) {
        // One statement for the whole batch; the last change of a device wins, as when applied in order.
        const latest = new Map(batch.map((p) => [p.deviceId, p]));
        if (!latest.size) return;
        const changes = [...latest.values()];
        await run(
          `UPDATE devices d SET online = p.online, last_seen_at = p.seen
           FROM unnest(?::text[], ?::boolean[], ?::timestamptz[]) AS p(id, online, seen) WHERE d.id = p.id`,
          changes.map((p) => p.deviceId), changes.map((p) => p.online), changes.map((p) => ts(p.lastSeenAt)),
        );
      },
    },

    registrations: {
      async insert(r, h) {
        await run(
          `INSERT INTO registrations (id, poll_hash, claim_hash, pin_hash, serial, model, capabilities, state, attempts, device_id, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          r.id, h.poll, h.claim, h.pin, r.serial, r.model, JSON.stringify(r.capabilities), r.state, r.attempts, r.deviceId,
          ts(r.createdAt), ts(r.expiresAt),
        );
      },
      async byPollHash(hash) {
        return first(toRegistration, `SELECT * FROM registrations WHERE poll_hash = ?`, hash);
      },
      async byClaimHash(hash) {
        const r = await one(`SELECT * FROM registrations WHERE claim_hash = ?`, hash);
        return r ? { ...toRegistration(r), pinHash: String(r.pin_hash) } : null;
      },
      async countFailedAttempt(id) {
        await run(`UPDATE registrations SET attempts = attempts + 1 WHERE id = ?`, id);
      },
      async claim(id, device, expiresAt) {
        return tx(async (t) => {
          // The registration row lock serializes claims of one registration.
          const row = await t.one(`SELECT state FROM registrations WHERE id = ? FOR UPDATE`, id);
          if (!row || row.state !== 'pending') return 'not-pending';
          // ON CONFLICT rather than a look first: a device provisioned meanwhile by another process is a conflict too, not an error.
          if ((await t.run(`${INSERT_DEVICE} ON CONFLICT (model, serial) DO NOTHING`, ...deviceParams(device, null))) !== 1) {
            await t.run(`UPDATE registrations SET state = 'refused' WHERE id = ?`, id);
            return 'conflict';
          }
          await t.run(`UPDATE registrations SET state = 'claimed', device_id = ?, expires_at = ? WHERE id = ?`, device.id, ts(expiresAt), id);
          return 'ok';
        });
      },
      async deliver(id, deviceId, tokenHash, at) {
        return tx(async (t) => {
          // Compare-and-set: of two deliveries at once, the second waits on the row and then finds it delivered.
          if ((await t.run(`UPDATE registrations SET state = 'delivered' WHERE id = ? AND state = 'claimed' AND device_id = ?`, id, deviceId)) !== 1)
            return false;
          return (await t.run(`UPDATE devices SET token_hash = ?, updated_at = ? WHERE id = ?`, tokenHash, ts(at), deviceId)) === 1;
        });
      },
      async deleteExpiredBefore(t) {
        return run(`DELETE FROM registrations WHERE expires_at < ?`, ts(t));
      },
    },

    webSessions: {
      async insert(hash, s: WebSession, createdAt) {
        await run(
          `INSERT INTO web_sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
          hash, s.userId, s.csrf, ts(createdAt), ts(s.expiresAt),
        );
      },
      async get(hash) {
        const r = await one(`SELECT * FROM web_sessions WHERE hash = ?`, hash);
        return r ? { userId: String(r.user_id), csrf: String(r.csrf), expiresAt: Number(r.expires_at) } : null;
      },
      async remove(hash) {
        await run(`DELETE FROM web_sessions WHERE hash = ?`, hash);
      },
      async deleteExpiredBefore(t) {
        return run(`DELETE FROM web_sessions WHERE expires_at < ?`, ts(t));
      },
    },

    audit: {
      async record(e: NewAudit) {
        await run(
          `INSERT INTO audit_log (at, actor, account_id, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`,
          ts(e.at), e.actor, e.accountId, e.action, e.target, e.detail ? JSON.stringify(e.detail) : null,
        );
      },
      async list(f) {
        const rows = f.accountId
          ? await all(`SELECT * FROM audit_log WHERE account_id = ? ORDER BY id DESC LIMIT ?`, f.accountId, f.limit)
          : await all(`SELECT * FROM audit_log ORDER BY id DESC LIMIT ?`, f.limit);
        return rows.map(toAudit);
      },
    },
  };
}
