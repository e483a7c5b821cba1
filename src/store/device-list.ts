import type { DeviceSort } from '../domain/devices.js';
import type { DeviceFilter } from './core.js';
import { decodeCursor, encodeCursor, type Row } from './rows.js';
import { where } from './where.js';

/** What the two stores write differently in the device list: booleans, and times as parameters and in SQL. */
export interface DeviceListDialect {
  bool(b: boolean): unknown;
  time(ms: number): unknown;
  /** "Last contact" with never as the earliest time, as the devices_seen index is built. */
  seen: string;
}

/** Each order's key, unique with its last column, so a cursor is the last row's key. */
const KEYS: Record<DeviceSort, { columns: (d: DeviceListDialect) => string[]; of: (r: Row) => (string | number)[] }> = {
  id: { columns: () => ['id'], of: (r) => [String(r.id)] },
  serial: { columns: () => ['serial', 'id'], of: (r) => [String(r.serial), String(r.id)] },
  model: { columns: () => ['model', 'serial'], of: (r) => [String(r.model), String(r.serial)] },
  seen: { columns: (d) => [d.seen, 'id'], of: (r) => [r.last_seen_at === null ? 0 : Number(r.last_seen_at), String(r.id)] },
};

/**
 * A cursor's key for the order, or null if it is not one (a cursor of another order, or made up).
 * The id order keeps its cursor as it always was: the last ID.
 */
export function cursorKey(sort: DeviceSort, cursor: string): (string | number)[] | null {
  if (sort === 'id') return [decodeCursor(cursor)];
  try {
    const key = JSON.parse(decodeCursor(cursor)) as unknown;
    const kinds = sort === 'seen' ? ['number', 'string'] : ['string', 'string'];
    return Array.isArray(key) && key.length === 2 && key.every((v, i) => typeof v === kinds[i]) ? (key as (string | number)[]) : null;
  } catch {
    return null;
  }
}

const cursorOf = (sort: DeviceSort, key: (string | number)[]): string => encodeCursor(sort === 'id' ? String(key[0]) : JSON.stringify(key));

/** The device list's statements for both stores: one page in the chosen order after the cursor, and the count of all that match. */
export function deviceListSql(f: DeviceFilter, d: DeviceListDialect) {
  const filter: [string, unknown][] = [
    ['account_id = ?', f.accountId],
    ['serial = ?', f.serial],
    ['model = ?', f.model],
    ['firmware_version = ?', f.firmware],
    ['online = ?', f.online === undefined ? undefined : d.bool(f.online)],
    ['id IN (SELECT device_id FROM device_tags WHERE tag = ?)', f.tag],
    // Low by the mark of the device's account (kept beside the status, indexed).
    ['id IN (SELECT device_id FROM device_status WHERE supply_low = ?)', f.supplyLow ? d.bool(true) : undefined],
    // A prefix as a range, so the serial index serves it (LIKE would not, in either store).
    ['(id = ? OR (serial >= ? AND serial < ?))', f.search === undefined ? undefined : [f.search, f.search, `${f.search}\u{10ffff}`]],
  ];
  const sort = f.sort ?? 'id';
  const [first, second] = KEYS[sort].columns(d);
  const key = f.cursor === undefined ? null : cursorKey(sort, f.cursor);
  if (f.cursor !== undefined && !key) throw new RangeError('not a cursor of this order');
  const param = (v: string | number) => (sort === 'seen' && typeof v === 'number' ? d.time(v) : v);
  const after: [string, unknown] = !key
    ? ['', undefined]
    : second
      ? [`(${first} > ? OR (${first} = ? AND ${second} > ?))`, [param(key[0]!), param(key[0]!), key[1]]]
      : [`${first} > ?`, key[0]];
  const page = where([...filter, after]);
  const counted = where(filter);
  return {
    page: { sql: `SELECT * FROM devices ${page.clause} ORDER BY ${first}${second ? `, ${second}` : ''} LIMIT ?`, params: [...page.params, f.limit + 1] },
    count: { sql: `SELECT COUNT(*) AS n FROM devices ${counted.clause}`, params: counted.params },
    /** The next page's cursor from the rows read (one more than a page when there is one). */
    next: (rows: Row[]): string | null => (rows.length > f.limit ? cursorOf(sort, KEYS[sort].of(rows[f.limit - 1]!)) : null),
  };
}
