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

/** A steady rate: a token bucket holding one second's worth, refilled continuously. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: { now(): number },
    readonly perSecond: number,
  ) {
    this.tokens = perSecond;
    this.last = clock.now();
  }

  /** Takes one token; false when none is left. */
  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

/**
 * Admission at a steady rate (a token bucket): what comes faster is refused with a hint of when
 * to come back, which grows with how many were refused lately, so a crowd spreads itself out
 * instead of coming back all at once.
 */
export class Admission {
  private readonly bucket: TokenBucket;
  private refused = 0;
  private refusedSince: number;

  constructor(
    private readonly clock: Clock,
    readonly perSecond: number,
  ) {
    this.bucket = new TokenBucket(clock, perSecond);
    this.refusedSince = clock.now();
  }

  /** 0 when admitted now; else the seconds to wait before trying again. */
  admit(): number {
    if (this.bucket.take()) return 0;
    const now = this.clock.now();
    if (now - this.refusedSince > 1000) {
      this.refused = 0;
      this.refusedSince = now;
    }
    this.refused++;
    return Math.min(60, Math.max(1, Math.ceil(this.refused / this.perSecond)));
  }
}
