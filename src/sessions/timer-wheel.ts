import type { Clock } from '../domain/clock.js';

export interface WheelEntry {
  /** Tick at which it fires; -1 when not scheduled. */
  tick: number;
  fire(): void;
}

/**
 * One shared timer for many deadlines (hashed wheel with `resolutionMs` slots): tens of
 * thousands of sessions cost one clock timer, not one each. Entries are the callers' own
 * objects, so scheduling allocates nothing per deadline. Deadlines fire up to one
 * resolution late, never early.
 */
export class TimerWheel {
  private readonly slots = new Map<number, Set<WheelEntry>>();
  private cancelTick: (() => void) | null = null;
  private lastTick: number;
  private size = 0;

  constructor(
    private readonly clock: Clock,
    readonly resolutionMs = 250,
  ) {
    this.lastTick = this.tickOf(clock.now());
  }

  get scheduled(): number {
    return this.size;
  }

  schedule(entry: WheelEntry, delayMs: number): void {
    this.cancel(entry);
    const tick = Math.max(this.tickOf(this.clock.now() + delayMs + this.resolutionMs - 1), this.lastTick + 1);
    entry.tick = tick;
    let slot = this.slots.get(tick);
    if (!slot) this.slots.set(tick, (slot = new Set()));
    slot.add(entry);
    this.size++;
    if (!this.cancelTick) this.arm();
  }

  cancel(entry: WheelEntry): void {
    if (entry.tick < 0) return;
    const slot = this.slots.get(entry.tick);
    if (slot?.delete(entry)) {
      this.size--;
      if (slot.size === 0) this.slots.delete(entry.tick);
    }
    entry.tick = -1;
  }

  stop(): void {
    this.cancelTick?.();
    this.cancelTick = null;
  }

  private tickOf(t: number): number {
    return Math.floor(t / this.resolutionMs);
  }

  private arm(): void {
    this.cancelTick = this.clock.after(this.resolutionMs, () => this.advance());
  }

  private advance(): void {
    this.cancelTick = null;
    const now = this.tickOf(this.clock.now());
    for (let t = this.lastTick + 1; t <= now; t++) {
      const slot = this.slots.get(t);
      if (!slot) continue;
      this.slots.delete(t);
      for (const entry of slot) {
        this.size--;
        entry.tick = -1;
        try {
          entry.fire();
        } catch {
          // A failing deadline must not stop the others; owners log their own errors.
        }
      }
    }
    this.lastTick = now;
    if (this.size > 0) this.arm();
  }
}
