import { RELAY } from '../../domain/principal.js';
import { STATUS_OIDS } from '../../domain/status.js';
import type { Clock } from '../../domain/clock.js';
import type { Random } from '../kernel/secrets.js';
import type { PushService } from '../push/push.js';
import type { StatusService } from './status.js';

export interface StatusPollSettings {
  /** How often each online device is polled; 0 turns the poll off. */
  intervalMs: number;
  /** Polls in flight at once on this node. */
  concurrency: number;
  /** How long a device has to answer a poll. */
  timeoutSeconds: number;
}

export const DEFAULT_STATUS_POLL: StatusPollSettings = { intervalMs: 15 * 60_000, concurrency: 16, timeoutSeconds: 30 };

/** The sessions this node holds: each node polls its own devices, so a cluster polls each device once. */
export interface HeldSessions {
  devices(): Iterable<string>;
  holds(deviceId: string): boolean;
  transportOf(deviceId: string): 'bosh' | 'websocket' | null;
}

/**
 * The status poll (issue 15): every online device is asked for its Printer-MIB supplies,
 * counter and state once an interval, at a time of its own (a device coming online is first
 * polled somewhere in the next interval, then every interval ± 10 %), so a fleet's polls are
 * spread evenly rather than all at once. A device whose status was polled or reported within
 * half an interval (by this node before a restart, by another, or in a report) is not asked yet.
 * An account may have an interval of its own (or none: never polled); the relay's applies to the
 * others, and the relay's 0 turns the poll off for all.
 */
export class StatusPoller {
  private readonly due = new Map<string, number>();
  private inFlight = 0;
  private cancelTick: (() => void) | null = null;
  private readonly tickMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly sessions: HeldSessions,
    private readonly push: PushService,
    private readonly status: StatusService,
    private readonly settings: StatusPollSettings,
    private readonly log: (msg: string, fields: Record<string, unknown>) => void,
  ) {
    this.tickMs = Math.max(1000, Math.min(60_000, Math.floor(settings.intervalMs / 20)));
  }

  /** Polls in flight now. */
  get polling(): number {
    return this.inFlight;
  }

  start(): void {
    if (this.settings.intervalMs <= 0) return;
    const loop = (): void => {
      this.tick();
      this.cancelTick = this.clock.after(this.tickMs, loop);
    };
    this.cancelTick = this.clock.after(this.tickMs, loop);
  }

  stop(): void {
    this.cancelTick?.();
    this.cancelTick = null;
  }

  /** Schedules devices that came online, forgets those gone, and polls those due (as many as the concurrency allows). */
  tick(): void {
    const now = this.clock.now();
    const interval = this.settings.intervalMs;
    for (const id of this.sessions.devices()) if (!this.due.has(id)) this.due.set(id, now + this.fraction() * interval);
    for (const [id, at] of this.due) {
      if (!this.sessions.holds(id)) {
        this.due.delete(id);
        continue;
      }
      if (this.inFlight >= this.settings.concurrency) break;
      if (at > now) continue;
      this.due.set(id, this.next(now, interval));
      this.inFlight++;
      void this.poll(id, now).finally(() => this.inFlight--);
    }
  }

  private next(now: number, interval: number): number {
    return now + interval * (0.9 + 0.2 * this.fraction());
  }

  private async poll(deviceId: string, now: number): Promise<void> {
    try {
      const own = await this.status.pollIntervalOf(deviceId);
      const interval = own ?? this.settings.intervalMs;
      // Its account's interval, from here on (an account that polls never is asked again in the relay's).
      if (own !== null && this.due.has(deviceId)) this.due.set(deviceId, this.next(now, interval || this.settings.intervalMs));
      if (interval === 0) return;
      const last = await this.status.last(deviceId);
      const recentSince = now - interval / 2;
      if ((last.polledAt ?? 0) > recentSince || (last.reportedAt ?? 0) > recentSince) return;
      const answer = await this.push.get(RELAY, deviceId, [...STATUS_OIDS], { timeoutSeconds: this.settings.timeoutSeconds });
      if (!('state' in answer)) await this.status.polled(deviceId, answer.objects, this.sessions.transportOf(deviceId));
    } catch (err) {
      this.log('status poll failed', { deviceId, err: String(err) });
    }
  }

  /** A uniform fraction in [0, 1). */
  private fraction(): number {
    return this.random.bytes(4).readUInt32BE(0) / 2 ** 32;
  }
}
