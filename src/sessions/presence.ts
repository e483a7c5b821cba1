import { EventEmitter } from 'node:events';
import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/store.js';
import { TimerWheel, type WheelEntry } from './timer-wheel.js';

export const MANAGEMENT_TIMER_MS = 120_000;
const FLUSH_EVERY_MS = 2_000;
/**
 * An online device's last-seen time is stored at most this often. Every request from a device
 * touches it (a push and its answer are two); storing each would make every flush a transaction of
 * thousands of rows, which on SQLite holds the event loop for 5–15 ms every two seconds under load.
 */
export const LAST_SEEN_EVERY_MS = 60_000;

export interface PresenceEvents {
  online: [deviceId: string];
  offline: [deviceId: string, reason: 'timer' | 'session-ended'];
}

class DeviceTimer implements WheelEntry {
  tick = -1;
  /** The device's last request, and the last-seen time last handed to the store. */
  seenAt = 0;
  storedSeenAt = -Infinity;
  constructor(
    readonly deviceId: string,
    private readonly presence: PresenceService,
  ) {}
  fire(): void {
    this.presence.expire(this);
  }
}

/**
 * Device presence (seed 000 S327–S333, S364): ONLINE while the device holds a bound session,
 * with a management timer per device that any request from the device resets; OFFLINE when
 * the timer runs out or the session ends. Presence lives in memory and is written to the Store
 * in batches (an online device's last-seen time at most once a minute); listeners (print, management) subscribe to `online` / `offline`.
 */
export class PresenceService extends EventEmitter<PresenceEvents> {
  private readonly timers = new Map<string, DeviceTimer>();
  private readonly dirty = new Map<string, { online: boolean; lastSeenAt: number }>();
  private cancelFlush: (() => void) | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly wheel: TimerWheel,
    readonly managementTimerMs = MANAGEMENT_TIMER_MS,
  ) {
    super();
  }

  isOnline(deviceId: string): boolean {
    return this.timers.has(deviceId);
  }

  get onlineCount(): number {
    return this.timers.size;
  }

  /** A session was bound (S327, S329). */
  online(deviceId: string): void {
    const wasOnline = this.timers.has(deviceId);
    this.touch(deviceId);
    if (!wasOnline) this.emit('online', deviceId);
  }

  /** Any request from an online device resets its management timer (S364). Returns whether it is online. */
  touch(deviceId: string): boolean {
    let t = this.timers.get(deviceId);
    if (!t) this.timers.set(deviceId, (t = new DeviceTimer(deviceId, this)));
    t.seenAt = this.clock.now();
    if (t.seenAt - t.storedSeenAt >= LAST_SEEN_EVERY_MS) {
      t.storedSeenAt = t.seenAt;
      this.mark(deviceId, true, t.seenAt);
    }
    this.wheel.schedule(t, this.managementTimerMs);
    return true;
  }

  /** Resets the timer only if the device is already online (survival notifications, S241/S365). */
  refresh(deviceId: string): boolean {
    return this.timers.has(deviceId) ? this.touch(deviceId) : false;
  }

  /** The session ended (terminated, replaced, inactive). */
  offline(deviceId: string): void {
    const t = this.timers.get(deviceId);
    if (!t) return;
    this.wheel.cancel(t);
    this.goOffline(deviceId, 'session-ended');
  }

  /** Writes what changed since the last flush in one batch. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty].map(([deviceId, s]) => ({ deviceId, ...s }));
    this.dirty.clear();
    this.flushing = this.flushing.then(() => this.store.devices.savePresence(batch));
    await this.flushing;
  }

  start(): void {
    const loop = (): void => {
      void this.flush()
        .catch(() => undefined)
        .finally(() => (this.cancelFlush = this.clock.after(FLUSH_EVERY_MS, loop)));
    };
    this.cancelFlush = this.clock.after(FLUSH_EVERY_MS, loop);
  }

  async stop(): Promise<void> {
    this.cancelFlush?.();
    for (const id of [...this.timers.keys()]) this.offline(id);
    await this.flush();
  }

  /** A device's management timer ran out (S333). */
  expire(t: DeviceTimer): void {
    if (this.timers.get(t.deviceId) === t) this.goOffline(t.deviceId, 'timer');
  }

  private goOffline(deviceId: string, reason: 'timer' | 'session-ended'): void {
    const t = this.timers.get(deviceId);
    this.timers.delete(deviceId);
    this.mark(deviceId, false, t?.seenAt ?? this.clock.now());
    this.emit('offline', deviceId, reason);
  }

  private mark(deviceId: string, online: boolean, lastSeenAt: number): void {
    this.dirty.set(deviceId, { online, lastSeenAt });
  }
}
