import type { Account, ApiToken } from '../domain/accounts.js';
import type { Device } from '../domain/devices.js';
import type { DeviceStatus, HistoryPoint } from '../domain/status.js';
import type { PrinterState } from '../domain/print.js';
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
  tags: d.tags,
  firmwareVersion: d.firmwareVersion,
  firmwareTarget: d.firmwareTarget,
  online,
  lastSeenAt: iso(d.lastSeenAt),
  createdAt: iso(d.createdAt),
  updatedAt: iso(d.updatedAt),
});

/** A device's last known status with what the registry, presence and the printer's own state report (seed 003) say of it now. */
export const statusView = (d: Device, online: boolean, s: DeviceStatus, printer: PrinterState | null = null) => ({
  deviceId: d.id,
  serial: d.serial,
  model: d.model,
  firmwareVersion: d.firmwareVersion,
  online,
  lastSeenAt: iso(d.lastSeenAt),
  deviceState: s.deviceState,
  printerState: s.printerState,
  errors: s.errors,
  supplies: s.supplies,
  counters: s.counters,
  polledAt: iso(s.polledAt),
  reportedAt: iso(s.reportedAt),
  transport: s.transport ?? null,
  printer: printer && { acceptingJobs: printer.accepting, status: printer.status, updatedAt: iso(printer.updatedAt) },
});

export const historyView = (p: HistoryPoint) => ({ object: p.object, at: iso(p.at), value: p.value });

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

export const accountView = (a: Account) => ({ id: a.id, name: a.name, createdAt: iso(a.createdAt), statusPollSeconds: a.statusPollSeconds, supplyLowPercent: a.supplyLowPercent });

export const userView = (u: PublicUser) => ({ id: u.id, name: u.name, accountId: u.accountId, admin: u.admin, createdAt: iso(u.createdAt) });

export { iso };
