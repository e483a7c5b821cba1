import type { FleetDay, FleetSample } from '../domain/fleet.js';
import type { DeviceStatus, HistoryPoint } from '../domain/status.js';

/** The Store port, device status (issue 15): each device's last known status, and its supply levels and counters over time. */
export interface StatusStore {
  get(deviceId: string): Promise<DeviceStatus | null>;
  /** Writes a device's status (and its lowest supply, to find it by) and appends `points` to its history, in one transaction. */
  save(deviceId: string, status: DeviceStatus, points: HistoryPoint[], at: number): Promise<void>;
  /** Points in [from, to], oldest first; one object or all. */
  history(deviceId: string, f: { object?: string; from: number; to: number; limit: number }): Promise<HistoryPoint[]>;
  deleteHistoryBefore(t: number): Promise<number>;
  /** Devices whose lowest supply is at or below `atMost` percent, lowest first. */
  lowest(f: { accountId?: string; atMost: number; limit: number }): Promise<{ deviceId: string; status: DeviceStatus }[]>;
}

/** The Store port, the fleet over time (issue 15): devices online per account each slot, jobs and pages per account each day. */
export interface FleetStore {
  /** Counts each account's devices and those online now, as the sample of slot `at` (replacing one taken earlier in it). */
  sample(at: number): Promise<void>;
  /** Samples from `from` on, summed over the accounts given (all when none). */
  samples(f: { accountId?: string; from: number }): Promise<FleetSample[]>;
  /** Adds to a device's account's figures of a day; nothing if the device is gone. */
  count(deviceId: string, day: string, add: { jobs?: number; pages?: number }): Promise<void>;
  days(f: { accountId?: string; from: string }): Promise<FleetDay[]>;
  deleteBefore(t: number, day: string): Promise<void>;
}
