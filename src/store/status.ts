import type { DeviceStatus, HistoryPoint } from '../domain/status.js';

/** The Store port, device status (issue 15): each device's last known status, and its supply levels and counters over time. */
export interface StatusStore {
  get(deviceId: string): Promise<DeviceStatus | null>;
  /** Writes a device's status and appends `points` to its history, in one transaction. */
  save(deviceId: string, status: DeviceStatus, points: HistoryPoint[], at: number): Promise<void>;
  /** Points in [from, to], oldest first; one object or all. */
  history(deviceId: string, f: { object?: string; from: number; to: number; limit: number }): Promise<HistoryPoint[]>;
  deleteHistoryBefore(t: number): Promise<number>;
}
