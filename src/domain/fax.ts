/** The fax relay's rules of FIG. 2 (seed 001): line states, user IDs, settings; the frames are in protocol/fax. */

export type DemandFailure = 'not-logged-in' | 'busy' | 'rejected' | 'timeout' | 'self';

/**
 * A connection's place in FIG. 2. Only a vacant line can be called or can call; dialling,
 * notified and paired lines are taken. After a TERMINATE a paired line stays taken until its
 * side sends RELEASE (21) or the release timeout frees it.
 */
export type LineState = 'login' | 'vacant' | 'dialling' | 'notified' | 'paired';

/** Why the relay answers a line's frame with an error instead of acting on it. */
export type LineError = 'bad-frame' | 'not-logged-in' | 'not-paired' | 'throttled';

/** A line as the pairing rules see it. */
export interface LineView {
  state: LineState;
  userId: string;
  accountId: string;
}

export type Demand<L> = { ok: true; callee: L } | { ok: false; reason: DemandFailure; message: string };

/**
 * Connection demand, processes (6)–(7): a vacant line may call another fax user of its own
 * account; the callee is notified on one of its vacant lines. Gives that line, or why not.
 * Users of other accounts are as good as not logged in: their names are not revealed.
 */
export function pickCallee<L extends LineView>(caller: LineView, to: string, calleeLines: readonly L[]): Demand<L> {
  const refuse = (reason: DemandFailure, message: string): Demand<L> => ({ ok: false, reason, message });
  if (caller.state !== 'vacant') return refuse('busy', 'this connection is not vacant; call from a vacant one');
  if (to === caller.userId) return refuse('self', 'a fax user cannot call itself');
  if (calleeLines.length === 0 || calleeLines[0]!.accountId !== caller.accountId) return refuse('not-logged-in', `${to} is not logged in`);
  const callee = calleeLines.find((l) => l.state === 'vacant');
  return callee ? { ok: true, callee } : refuse('busy', `${to} has no vacant connection`);
}

/** A line's control frames in the current 10-second window. */
export interface ControlWindow {
  start: number;
  count: number;
}

/**
 * Flood control on control frames: up to `limit` per 10 s are taken, beyond that refused
 * (ERROR throttled), and beyond twice that the line is closed. Counts the frame into `w`.
 */
export function countControl(w: ControlWindow, now: number, limit: number): 'take' | 'refuse' | 'close' {
  if (now - w.start >= 10_000) {
    w.start = now;
    w.count = 0;
  }
  w.count++;
  return w.count <= limit ? 'take' : w.count > 2 * limit ? 'close' : 'refuse';
}

/** Fax user IDs: the address callers dial. Lowercase, so "Sales" and "sales" are one line. */
const USER_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const isFaxUserId = (s: unknown): s is string => typeof s === 'string' && USER_ID.test(s);

export interface FaxUserSettings {
  /** Shown to operators; the relay does not interpret it. */
  displayName?: string;
  /** Connections this user may hold at once (spare connections, seed 001 (10)–(14)). */
  maxConnections?: number;
}

export const DEFAULT_MAX_CONNECTIONS_PER_USER = 8;
export const MAX_CONNECTIONS_PER_USER = 64;

/** Reads settings from untrusted JSON; an error message when they are not acceptable. */
export function parseFaxUserSettings(v: unknown): FaxUserSettings | string {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return 'settings must be an object';
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'displayName' && k !== 'maxConnections') return `unknown setting ${k}`;
  const out: FaxUserSettings = {};
  if (o.displayName !== undefined) {
    if (typeof o.displayName !== 'string' || o.displayName.length > 100) return 'displayName is text of at most 100 characters';
    out.displayName = o.displayName;
  }
  if (o.maxConnections !== undefined) {
    const n = o.maxConnections;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CONNECTIONS_PER_USER)
      return `maxConnections is a whole number from 1 to ${MAX_CONNECTIONS_PER_USER}`;
    out.maxConnections = n;
  }
  return out;
}

/** A fax machine's login at the fax relay (seed 001); IDs are unique across the site. */
export interface FaxUser {
  id: string;
  accountId: string;
  passwordHash: string;
  settings: FaxUserSettings;
  createdAt: number;
  updatedAt: number;
}
