import type { Clock } from '../domain/clock.js';
import type { DeviceStore } from '../store/core.js';
import type { SessionHub } from './hub.js';

const CHECK_EVERY_MS = 1_000;
const BATCH = 1_000;
/** Log entries are kept this long: enough for every relay on the database to have read them. */
const KEEP_MS = 86_400_000;

/**
 * Ends the sessions of devices whose token was rotated or revoked, or that were removed. It
 * follows the store's revocation log, so a change made with the CLI on the same database counts
 * as one made through the API (within a second; `check()` makes it at once).
 */
export class RevocationWatch {
  private last = 0;
  private stopTimer: (() => void) | null = null;
  private checking: Promise<void> = Promise.resolve();

  constructor(
    private readonly devices: DeviceStore,
    private readonly hub: SessionHub,
    private readonly clock: Clock,
  ) {}

  /** Starts after the latest entry: sessions that exist now were made with the tokens of now. */
  async start(): Promise<void> {
    this.last = await this.devices.lastRevocation();
    const loop = (): void => {
      this.stopTimer = this.clock.after(CHECK_EVERY_MS, () => void this.check().finally(loop));
    };
    loop();
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  /** Reads what was logged since the last look and ends those sessions. */
  check(): Promise<void> {
    this.checking = this.checking.then(async () => {
      for (;;) {
        const entries = await this.devices.revocationsAfter(this.last, BATCH);
        for (const e of entries) {
          this.hub.revoke(e.deviceId);
          this.last = e.seq;
        }
        if (entries.length < BATCH) return;
      }
    }).catch(() => undefined); // the store is away: the next check tries again
    return this.checking;
  }

  /** Forgets old log entries. */
  sweep(): Promise<number> {
    return this.devices.deleteRevocationsBefore(this.clock.now() - KEEP_MS);
  }
}
