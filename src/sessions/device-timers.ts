import type { Clock } from '../domain/clock.js';

/**
 * At most one pending timer per device, and at most `max` devices at once, on the injected
 * clock: services use it to send again what a device was told but has not acted on (a job not
 * fetched, a queued request not answered). Arming a device that is already armed does nothing.
 */
export class DeviceTimers {
  private readonly timers = new Map<string, () => void>();

  constructor(
    private readonly clock: Clock,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.timers.size;
  }

  /** Calls `fn` once after `ms` unless the device's timer is already armed; false when it was not armed (armed already, or the cap is reached). */
  arm(deviceId: string, ms: number, fn: () => void): boolean {
    if (this.timers.has(deviceId) || this.timers.size >= this.max) return false;
    this.timers.set(
      deviceId,
      this.clock.after(ms, () => {
        this.timers.delete(deviceId);
        fn();
      }),
    );
    return true;
  }

  cancel(deviceId: string): void {
    this.timers.get(deviceId)?.();
    this.timers.delete(deviceId);
  }

  stop(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
