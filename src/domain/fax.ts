/**
 * Fax relay wire vocabulary (seed 001, FIG. 2). A frame is a 4-byte big-endian length L, then
 * L bytes: one type byte and the payload. Control payloads are UTF-8 JSON objects; DATA is opaque.
 */

export const FrameType = {
  LOGIN: 0x01,
  LOGIN_RESULT: 0x02,
  HOLD: 0x03,
  HOLD_ACK: 0x04,
  LIST: 0x05,
  LIST_RESULT: 0x06,
  CONNECT: 0x10,
  INCOMING: 0x11,
  ACCEPT: 0x12,
  REJECT: 0x13,
  CONNECT_RESULT: 0x14,
  DATA: 0x20,
  TERMINATE: 0x21,
  RELEASE: 0x22,
  LOGOUT: 0x30,
  ERROR: 0x7f,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const NAMES = new Map<number, string>(Object.entries(FrameType).map(([k, v]) => [v, k]));
export const frameName = (type: number): string => NAMES.get(type) ?? `0x${type.toString(16).padStart(2, '0')}`;

/** Frames a fax machine may send; the others only come from the relay. */
export const FROM_DEVICE: ReadonlySet<number> = new Set([
  FrameType.LOGIN, FrameType.HOLD, FrameType.LIST, FrameType.CONNECT, FrameType.ACCEPT,
  FrameType.REJECT, FrameType.DATA, FrameType.TERMINATE, FrameType.RELEASE, FrameType.LOGOUT,
]);

export const DEFAULT_MAX_FRAME = 1024 * 1024;
/** Bytes before the payload: length (4) and type (1). */
export const FRAME_HEADER = 5;

export type ErrorCode = 'bad-frame' | 'too-large' | 'bad-json' | 'unknown-type' | 'not-logged-in' | 'not-paired' | 'throttled';
export type DemandFailure = 'not-logged-in' | 'busy' | 'rejected' | 'timeout' | 'self';

/**
 * A connection's place in FIG. 2. Only a vacant line can be called or can call; dialling,
 * notified and paired lines are taken. After a TERMINATE a paired line stays taken until its
 * side sends RELEASE (21) or the release timeout frees it.
 */
export type LineState = 'login' | 'vacant' | 'dialling' | 'notified' | 'paired';

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
