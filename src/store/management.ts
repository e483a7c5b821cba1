import type { Alert } from '../domain/alerts.js';
import type { MeterOffset, MeterRead } from '../domain/billing.js';
import type { Firmware } from '../domain/firmware.js';
import type { Code, StoredReport } from '../domain/reports.js';
import type { Webhook } from '../domain/webhooks.js';

/** The Store port, remote management (seed 004): code tables, reports, alerts, meter offsets, webhooks, firmware. */
export interface CodeStore {
  get(namespace: string, code: string): Promise<Code | null>;
  list(namespace?: string): Promise<Code[]>;
  put(c: Code): Promise<void>;
  remove(namespace: string, code: string): Promise<boolean>;
}

/**
 * Reports are the device hot path. An adapter may write several calls of `insert`,
 * `insertCounters` and `AlertStore.raise` in one transaction (a group commit: the SQLite adapter
 * groups the calls made in one event-loop turn) provided that each call still resolves only once
 * its own write is committed, with its own result; that a call that fails fails alone; and that
 * the counters check of `insertCounters` sees every report committed or grouped before it.
 */
export interface ReportStore {
  /** Stores a report and returns its reception number (unique, increasing). */
  insert(r: Omit<StoredReport, 'reception'>): Promise<number>;
  /**
   * Stores a counters report unless `refuse` gives a reason against it, given the device's last
   * counters and its meter offsets — read and written in one transaction, so two reports in
   * flight cannot both pass the check. The reception number, or the reason.
   */
  insertCounters(r: Omit<StoredReport, 'reception'>, refuse: (last: MeterRead | null, offsets: MeterOffset[]) => string | null): Promise<number | { refused: string }>;
  /** For billing [from, to): the last read at or before `from` and every read after it and before `to`, in time order. */
  readsForPeriod(deviceId: string, from: number, to: number): Promise<MeterRead[]>;
  list(f: { accountId?: string; deviceId?: string; limit: number }): Promise<StoredReport[]>;
  /** Heartbeats only say "still here": they are not kept long. */
  deleteHeartbeatsBefore(t: number): Promise<number>;
}

export interface WebhookStore {
  insert(w: Webhook): Promise<void>;
  list(): Promise<Webhook[]>;
  get(id: string): Promise<Webhook | null>;
  remove(id: string): Promise<boolean>;
}

export interface FirmwareStore {
  insert(f: Firmware): Promise<void>;
  get(id: string): Promise<Firmware | null>;
  byModelVersion(model: string, version: string): Promise<Firmware | null>;
  forModel(model: string): Promise<Firmware[]>;
  list(): Promise<Firmware[]>;
  setRollout(id: string, percent: number): Promise<void>;
  recordSent(deviceId: string, f: Firmware, reception: number, at: number): Promise<void>;
  history(deviceId: string): Promise<{ firmwareId: string; version: string; reception: number; sentAt: number }[]>;
  setDeviceVersion(deviceId: string, version: string): Promise<void>;
  setDeviceTarget(deviceId: string, version: string | null): Promise<void>;
  /** How many devices run each version of each model (version null: not reported yet), in an account or all. */
  running(accountId?: string): Promise<{ model: string; version: string | null; devices: number }[]>;
}

export interface MeterStore {
  addOffset(deviceId: string, offset: MeterOffset, createdBy: string): Promise<void>;
  offsets(deviceId: string): Promise<MeterOffset[]>;
}

export interface AlertStore {
  /** Opens an alert, or counts one more report on the unresolved one with the same key. */
  raise(a: { deviceId: string; accountId: string; key: string; type: string; code: string | null; description: string; reception: number; at: number }): Promise<{ alert: Alert; opened: boolean }>;
  get(id: number): Promise<Alert | null>;
  list(f: { accountId?: string; deviceId?: string; state?: Alert['state']; cursor?: number; limit: number }): Promise<Alert[]>;
  acknowledge(id: number, by: string, at: number): Promise<boolean>;
  /** Resolves one alert by id, or the unresolved one of a device with a key. */
  resolve(target: { id: number } | { deviceId: string; key: string }, by: string, at: number): Promise<Alert | null>;
}
