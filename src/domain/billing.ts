/**
 * Meter reads and billing (seed 004 state 7, the utilization report): counters per device and
 * time, offsets for counter resets (board swaps), and the billing period's start, end and delta.
 * Pure.
 */

export interface Counters {
  total: number;
  mono: number;
  colour: number;
}

export interface MeterRead extends Counters {
  at: number;
}

/** From `at` on, the device's counters restarted lower: add this to every read. */
export interface MeterOffset extends Counters {
  at: number;
}

const add = (a: Counters, b: Counters): Counters => ({ total: a.total + b.total, mono: a.mono + b.mono, colour: a.colour + b.colour });
const ZERO: Counters = { total: 0, mono: 0, colour: 0 };

/** A read as billed: its raw counters plus every offset recorded at or before it. */
export function effective(read: MeterRead, offsets: MeterOffset[]): MeterRead {
  return { at: read.at, ...offsets.filter((o) => o.at <= read.at).reduce(add, { total: read.total, mono: read.mono, colour: read.colour }) };
}

export interface BillingLine {
  start: MeterRead | null;
  end: MeterRead | null;
  delta: Counters | null;
}

/**
 * For [from, to): start is the last read at or before `from` (else the first inside), end the
 * last read before `to`. `reads` are sorted by time and already effective.
 */
export function billingLine(reads: MeterRead[], from: number, to: number): BillingLine {
  let start: MeterRead | null = null;
  let end: MeterRead | null = null;
  for (const r of reads) {
    if (r.at <= from || (start === null && r.at < to)) start = r;
    if (r.at < to) end = r;
  }
  if (!start || !end || end.at < start.at) return { start: null, end: null, delta: null };
  return { start, end, delta: { total: end.total - start.total, mono: end.mono - start.mono, colour: end.colour - start.colour } };
}

/** A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection). */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Milliseconds of `zone`'s UTC offset at instant t. */
function zoneOffset(t: number, zone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** "2026-11-01" → the instant that day starts in `zone`; a full ISO time passes through. */
export function parseBillingTime(s: string, zone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) {
    const t = Date.parse(s);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(t)) throw new Error(`not a date: ${s.slice(0, 40)} (use YYYY-MM-DD or an ISO time)`);
    return t;
  }
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(wall).toISOString().slice(0, 10) !== s) throw new Error(`not a date: ${s}`);
  // Two passes settle the offset across a DST change at midnight.
  let t = wall - zoneOffset(wall, zone);
  t = wall - zoneOffset(t, zone);
  return t;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export { ZERO };
