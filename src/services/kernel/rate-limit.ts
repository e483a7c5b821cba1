import type { Clock } from '../../domain/clock.js';

/**
 * Fixed-window counters per key (an IP address, a user, a registration). Memory is capped:
 * past maxKeys the oldest windows are dropped, which can only make the limiter more lenient
 * for a key it forgot, never block someone who has done nothing.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Whether the key has used up its window. Does not count. */
  blocked(key: string): boolean {
    const w = this.current(key);
    return w !== undefined && w.count >= this.limit;
  }

  /** Counts one event; true if that event was over the limit. */
  hit(key: string): boolean {
    let w = this.current(key);
    if (!w) {
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      w = { start: this.clock.now(), count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count > this.limit;
  }

  /** Seconds until the key's window ends. */
  retryAfter(key: string): number {
    const w = this.current(key);
    return w ? Math.max(1, Math.ceil((w.start + this.windowMs - this.clock.now()) / 1000)) : 0;
  }

  private current(key: string): { start: number; count: number } | undefined {
    const w = this.windows.get(key);
    if (w && this.clock.now() - w.start >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
}
