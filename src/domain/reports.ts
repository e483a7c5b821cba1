/**
 * Device reports of seed 004: the seven preset states plus the "cleared" report and the
 * periodic heartbeat, and the seed's CGI form (`U`, `P`, `T`, `E`, `TC`/`BC`/`CC`, `C`). Pure.
 */

export type ReportInput =
  | { kind: 'error'; namespace: string; code: string }
  | { kind: 'user-report'; text: string }
  | { kind: 'order'; code: string; quantity: number }
  | { kind: 'counters'; total: number; mono: number; colour: number }
  | { kind: 'cleared'; namespace: string; code: string }
  | { kind: 'heartbeat' };

/** Error codes say which preset state they are (seed 004 states 1–3). */
export type ErrorKind = 'consumable-low' | 'part-replacement' | 'abnormal';
export type ReportType = ErrorKind | 'user-report' | 'order' | 'counters' | 'cleared' | 'heartbeat' | 'firmware';

export const ERROR_NAMESPACE = 'error';
export const ORDER_NAMESPACE = 'order';
export const MAX_USER_TEXT = 1000;
export const MAX_QUANTITY = 999;
const MAX_COUNTER = 2 ** 53 - 1;
const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export interface CgiReport {
  registrationNumber: string | null;
  /** The device token, when sent as K= instead of a header. */
  token: string | null;
  input: ReportInput;
}

export class ReportError extends Error {}

/** Checks a report's values; throws ReportError with a message fit for the device's panel. */
export function checkReport(r: ReportInput): ReportInput {
  switch (r.kind) {
    case 'error':
    case 'cleared':
      if (!CODE.test(r.code)) throw new ReportError(`not a code: ${r.code.slice(0, 40)}`);
      if (!CODE.test(r.namespace)) throw new ReportError(`not a code table: ${r.namespace.slice(0, 40)}`);
      return r;
    case 'user-report': {
      const text = r.text.trim();
      if (!text) throw new ReportError('the report text is empty');
      if (text.length > MAX_USER_TEXT) throw new ReportError(`the report text is longer than ${MAX_USER_TEXT} characters`);
      return { kind: 'user-report', text };
    }
    case 'order':
      if (!CODE.test(r.code)) throw new ReportError(`not an order code: ${r.code.slice(0, 40)}`);
      if (!Number.isInteger(r.quantity) || r.quantity < 1 || r.quantity > MAX_QUANTITY) throw new ReportError(`the quantity is a whole number from 1 to ${MAX_QUANTITY}`);
      return r;
    case 'counters':
      for (const [name, v] of [['TC', r.total], ['BC', r.mono], ['CC', r.colour]] as const)
        if (!Number.isSafeInteger(v) || v < 0 || v > MAX_COUNTER) throw new ReportError(`${name} is a whole number of sheets`);
      return r;
    case 'heartbeat':
      return r;
  }
}

const count = (name: string, v: string): number => {
  if (!/^\d{1,16}$/.test(v)) throw new ReportError(`${name}=${v.slice(0, 20)} is not a number`);
  return Number(v);
};

/**
 * The seed's CGI arguments, in order. `U` is the registration number; a second `U` after `E`
 * is the order quantity (the seed's literal `E=Type2&U=2`); `Q` says the same more plainly.
 * `U` with no report key is the periodic heartbeat (seed 004's fixed-interval send, e.g. hourly).
 */
export function parseCgi(params: [string, string][]): CgiReport {
  let registrationNumber: string | null = null;
  let token: string | null = null;
  let input: ReportInput | null = null;
  const counters: Record<string, string> = {};
  let order: { code: string; quantity?: string } | null = null;
  const set = (r: ReportInput): void => {
    if (input) throw new ReportError('one report per request');
    input = r;
  };
  for (const [k, v] of params) {
    switch (k) {
      case 'U':
        if (order && registrationNumber !== null && order.quantity === undefined) order.quantity = v;
        else if (registrationNumber === null) registrationNumber = v;
        else throw new ReportError('U is given twice');
        break;
      case 'K':
        token = v;
        break;
      case 'P':
        set({ kind: 'error', namespace: ERROR_NAMESPACE, code: v });
        break;
      case 'C':
        set({ kind: 'cleared', namespace: ERROR_NAMESPACE, code: v });
        break;
      case 'T':
        set({ kind: 'user-report', text: v });
        break;
      case 'E':
        if (order) throw new ReportError('one order per request');
        order = { code: v };
        break;
      case 'Q':
        if (!order) throw new ReportError('Q needs E');
        order.quantity = v;
        break;
      case 'TC':
      case 'BC':
      case 'CC':
        counters[k] = v;
        break;
      default:
        throw new ReportError(`unknown argument ${k.slice(0, 20)}`);
    }
  }
  if (order) set({ kind: 'order', code: order.code, quantity: count('quantity', order.quantity ?? '1') });
  const keys = Object.keys(counters);
  if (keys.length > 0) {
    if (keys.length !== 3) throw new ReportError('counters need TC, BC and CC together');
    set({ kind: 'counters', total: count('TC', counters.TC!), mono: count('BC', counters.BC!), colour: count('CC', counters.CC!) });
  }
  return { registrationNumber, token, input: checkReport(input ?? { kind: 'heartbeat' }) };
}

/** A meter read may not go backwards, unless the counter was reset (board swap) and an offset recorded. */
export function counterProblem(last: { total: number; mono: number; colour: number } | null, next: { total: number; mono: number; colour: number }): string | null {
  if (!last) return null;
  for (const [name, a, b] of [['total', last.total, next.total], ['mono', last.mono, next.mono], ['colour', last.colour, next.colour]] as const)
    if (b < a) return `the ${name} counter went down from ${a} to ${b}; record an offset if the counter was reset`;
  return null;
}

export interface Code {
  namespace: string;
  code: string;
  kind: string | null;
  description: string;
  reply: string;
}

export interface StoredReport {
  reception: number;
  deviceId: string;
  accountId: string;
  type: string;
  namespace: string | null;
  code: string | null;
  text: string | null;
  quantity: number | null;
  total: number | null;
  mono: number | null;
  colour: number | null;
  /** How it came: a device's JSON or CGI report, or the relay's status poll. */
  via: 'json' | 'cgi' | 'poll';
  receivedAt: number;
}
