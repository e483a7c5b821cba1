import type { Account, ApiToken } from '../domain/accounts.js';
import type { Device } from '../domain/devices.js';
import type { PublicUser } from '../services/identity/accounts.js';

/** How stored objects look on the wire: ISO times, no secrets or hashes. */
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** `online` is the live presence when the caller knows it; the stored one lags by one flush. */
export const deviceView = (d: Device, jid: string, online = d.online) => ({
  deviceId: d.id,
  jid,
  accountId: d.accountId,
  serial: d.serial,
  model: d.model,
  capabilities: d.capabilities,
  ...d.registry,
  firmwareVersion: d.firmwareVersion,
  online,
  lastSeenAt: iso(d.lastSeenAt),
  createdAt: iso(d.createdAt),
  updatedAt: iso(d.updatedAt),
});

export const tokenView = (t: ApiToken) => ({
  id: t.id,
  accountId: t.accountId,
  admin: t.admin,
  label: t.label,
  createdAt: iso(t.createdAt),
  expiresAt: iso(t.expiresAt),
  revokedAt: iso(t.revokedAt),
  lastUsedAt: iso(t.lastUsedAt),
});

export const accountView = (a: Account) => ({ id: a.id, name: a.name, createdAt: iso(a.createdAt) });

export const userView = (u: PublicUser) => ({ id: u.id, name: u.name, accountId: u.accountId, admin: u.admin, createdAt: iso(u.createdAt) });

export { iso };
