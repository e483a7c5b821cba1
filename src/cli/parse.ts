import { UsageError } from './errors.js';

/** A whole number option in [min, max]. */
export function wholeNumber(flag: string, v: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return n;
}

/** A number option (fractions allowed) in [min, max]. */
export function decimal(flag: string, v: string, min: number, max: number): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} is ${min} to ${max}, not ${JSON.stringify(v)}`);
  return n;
}

/** "90d", "12h", "30m", "45s" or plain seconds → seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(s.trim());
  if (!m) throw new UsageError(`not a duration: ${s} (use e.g. 3600, 45s, 30m, 12h, 90d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  const n = Number(m[1]) * unit;
  if (n <= 0) throw new UsageError('a duration must be positive');
  return n;
}

export function parseJsonOption(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${name} is not valid JSON`);
  }
}
