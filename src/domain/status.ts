/**
 * A device's last known status (issue 15): supplies, page counters, device and printer state and
 * the printer's detected errors, read from the Printer MIB (RFC 3805) and Host Resources MIB
 * (RFC 2790) objects a status poll GETs, or from a seed 004 counters report. Pure.
 */
import type { ResultObject } from './push.js';

export interface Supply {
  /** prtMarkerSuppliesIndex. */
  index: number;
  description: string;
  /** prtMarkerSuppliesType as its RFC 3805 name (tonerCartridge, opc, …). */
  kind: string;
  /** Guessed from the description (black, cyan, magenta, yellow); null when it names none. */
  colour: string | null;
  /** prtMarkerSuppliesLevel; null when the device does not know (-1, -2) or says only "some left" (-3). */
  level: number | null;
  max: number | null;
  /** level / max, rounded; null when either is unknown. */
  percent: number | null;
}

export interface Counters {
  total: number | null;
  mono: number | null;
  colour: number | null;
}

export interface DeviceStatus {
  supplies: Supply[];
  counters: Counters;
  /** hrDeviceStatus: running, warning, testing, down, unknown. */
  deviceState: string | null;
  /** hrPrinterStatus: idle, printing, warmup, other, unknown. */
  printerState: string | null;
  /** hrPrinterDetectedErrorState's bits set (lowToner, jammed, doorOpen, …). */
  errors: string[];
  /** When a status poll last answered, and when a report last said something here. */
  polledAt: number | null;
  reportedAt: number | null;
  /** What carried the device's session when it was last polled (bosh, websocket); null before (or in a status stored before there was this field). */
  transport: 'bosh' | 'websocket' | null;
}

/** One point of a device's history: `supply.<index>` (percent) or `counter.total|mono|colour`. */
export interface HistoryPoint {
  object: string;
  at: number;
  value: number;
}

export const HISTORY_OBJECT = /^(supply\.\d{1,3}|counter\.(total|mono|colour))$/;

export const EMPTY_STATUS: DeviceStatus = {
  supplies: [],
  counters: { total: null, mono: null, colour: null },
  deviceState: null,
  printerState: null,
  errors: [],
  polledAt: null,
  reportedAt: null,
  transport: null,
};

/** Supplies a status poll asks for (prtMarkerSuppliesIndex 1..MAX_SUPPLIES; absent rows answer noSuchInstance). */
export const MAX_SUPPLIES = 8;

/** The MIB-II system group objects operators set most (RFC 3418). */
export const SYSTEM_OID = {
  sysContact: '1.3.6.1.2.1.1.4.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  sysLocation: '1.3.6.1.2.1.1.6.0',
} as const;

/**
 * The first line of a printer's console display (Printer MIB prtConsoleDisplayBufferText, RFC 3805
 * §2.2.10, read-write): what the relay writes there is how a device shows which one it is.
 */
export const CONSOLE_DISPLAY_OID = '1.3.6.1.2.1.43.16.5.1.2.1.1';
/** Characters a display line takes (the MIB allows 255 octets; a console shows far fewer). */
export const CONSOLE_DISPLAY_CHARS = 64;

export const STATUS_OID = {
  hrDeviceStatus: '1.3.6.1.2.1.25.3.2.1.5.1',
  hrPrinterStatus: '1.3.6.1.2.1.25.3.5.1.1.1',
  hrPrinterDetectedErrorState: '1.3.6.1.2.1.25.3.5.1.2.1',
  prtMarkerLifeCount: '1.3.6.1.2.1.43.10.2.1.4.1.1',
  supplyType: (i: number) => `1.3.6.1.2.1.43.11.1.1.5.1.${i}`,
  supplyDescription: (i: number) => `1.3.6.1.2.1.43.11.1.1.6.1.${i}`,
  supplyMaxCapacity: (i: number) => `1.3.6.1.2.1.43.11.1.1.8.1.${i}`,
  supplyLevel: (i: number) => `1.3.6.1.2.1.43.11.1.1.9.1.${i}`,
} as const;

/** What a status poll GETs: 4 + 4 × MAX_SUPPLIES objects, well under a push's limit. */
export const STATUS_OIDS: readonly string[] = [
  STATUS_OID.hrDeviceStatus,
  STATUS_OID.hrPrinterStatus,
  STATUS_OID.hrPrinterDetectedErrorState,
  STATUS_OID.prtMarkerLifeCount,
  ...Array.from({ length: MAX_SUPPLIES }, (_, k) => [STATUS_OID.supplyType(k + 1), STATUS_OID.supplyDescription(k + 1), STATUS_OID.supplyMaxCapacity(k + 1), STATUS_OID.supplyLevel(k + 1)]).flat(),
];

const DEVICE_STATES = ['unknown', 'running', 'warning', 'testing', 'down'];
const PRINTER_STATES = ['other', 'unknown', 'idle', 'printing', 'warmup'];
/** hrPrinterDetectedErrorState, bit 0 being the first octet's most significant bit (RFC 2790, RFC 3805 §2.2.13.2). */
const ERROR_BITS = ['lowPaper', 'noPaper', 'lowToner', 'noToner', 'doorOpen', 'jammed', 'offline', 'serviceRequested', 'inputTrayMissing', 'outputTrayMissing', 'markerSupplyMissing', 'outputNearFull', 'outputFull', 'inputTrayEmpty', 'overduePreventMaint'];
/** PrtMarkerSuppliesTypeTC, from 1. */
const SUPPLY_KINDS = ['other', 'unknown', 'toner', 'wasteToner', 'ink', 'inkCartridge', 'inkRibbon', 'wasteInk', 'opc', 'developer', 'fuserOil', 'solidWax', 'ribbonWax', 'wasteWax', 'fuser', 'coronaWire', 'fuserOilWick', 'cleanerUnit', 'fuserCleaningPad', 'transferUnit', 'tonerCartridge', 'fuserOiler', 'water', 'wasteWater', 'glueWaterAdditive', 'wastePaper', 'bindingSupply', 'bandingSupply', 'stitchingWire', 'shrinkWrap', 'paperWrap', 'staples', 'inserts', 'covers'];
const COLOURS = ['black', 'cyan', 'magenta', 'yellow'];

const enumName = (names: string[], v: string | undefined): string | null => {
  if (v === undefined || !/^\d{1,3}$/.test(v)) return null;
  return names[Number(v) - 1] ?? `other(${v})`;
};
const integer = (v: string | undefined): number | null => (v !== undefined && /^-?\d{1,16}$/.test(v) ? Number(v) : null);

/** The bits set in an OCTET STRING given as hex. */
export function errorBits(hex: string): string[] {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return [];
  const out: string[] = [];
  for (let bit = 0; bit < ERROR_BITS.length && bit / 8 < hex.length / 2; bit++) {
    const octet = parseInt(hex.slice(Math.floor(bit / 8) * 2, Math.floor(bit / 8) * 2 + 2), 16);
    if (octet & (0x80 >> bit % 8)) out.push(ERROR_BITS[bit]!);
  }
  return out;
}

/** The status a status poll's answer tells, at `at`. Objects the device does not have are left out. */
export function statusFromObjects(objects: ResultObject[], at: number): Omit<DeviceStatus, 'reportedAt' | 'transport'> {
  const value = new Map<string, string>();
  for (const o of objects) if ('value' in o) value.set(o.oid, o.value);
  const supplies: Supply[] = [];
  for (let i = 1; i <= MAX_SUPPLIES; i++) {
    const description = value.get(STATUS_OID.supplyDescription(i));
    const rawLevel = integer(value.get(STATUS_OID.supplyLevel(i)));
    if (description === undefined && rawLevel === null) continue;
    const level = rawLevel !== null && rawLevel >= 0 ? rawLevel : null;
    const rawMax = integer(value.get(STATUS_OID.supplyMaxCapacity(i)));
    const max = rawMax !== null && rawMax > 0 ? rawMax : null;
    const text = (description ?? '').slice(0, 200);
    supplies.push({
      index: i,
      description: text,
      kind: enumName(SUPPLY_KINDS, value.get(STATUS_OID.supplyType(i))) ?? 'unknown',
      colour: COLOURS.find((c) => text.toLowerCase().includes(c)) ?? null,
      level,
      max,
      percent: level !== null && max !== null ? Math.min(100, Math.round((level / max) * 100)) : null,
    });
  }
  const life = integer(value.get(STATUS_OID.prtMarkerLifeCount));
  return {
    supplies,
    counters: { total: life !== null && life >= 0 ? life : null, mono: null, colour: null },
    deviceState: enumName(DEVICE_STATES, value.get(STATUS_OID.hrDeviceStatus)),
    printerState: enumName(PRINTER_STATES, value.get(STATUS_OID.hrPrinterStatus)),
    errors: errorBits(value.get(STATUS_OID.hrPrinterDetectedErrorState) ?? ''),
    polledAt: at,
  };
}

/** A poll's status over the last known one: what the poll did not read (a report's mono/colour counters) is kept. */
export function mergePoll(last: DeviceStatus, poll: Omit<DeviceStatus, 'reportedAt' | 'transport'>, transport: DeviceStatus['transport'] = last.transport ?? null): DeviceStatus {
  return {
    ...poll,
    counters: { total: poll.counters.total ?? last.counters.total, mono: last.counters.mono, colour: last.counters.colour },
    reportedAt: last.reportedAt,
    transport,
  };
}

/** A seed 004 counters report over the last known status. */
export function mergeCounters(last: DeviceStatus, c: { total: number; mono: number; colour: number }, at: number): DeviceStatus {
  return { ...last, counters: { ...c }, reportedAt: at };
}

/** The history points a new status adds: each supply's percent and each counter it knows. */
export function historyPoints(s: DeviceStatus, at: number): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (const sup of s.supplies) if (sup.percent !== null) points.push({ object: `supply.${sup.index}`, at, value: sup.percent });
  for (const k of ['total', 'mono', 'colour'] as const) {
    const v = s.counters[k];
    if (v !== null) points.push({ object: `counter.${k}`, at, value: v });
  }
  return points;
}

/** Supplies at or below `thresholdPercent`. */
export function lowSupplies(s: DeviceStatus, thresholdPercent: number): Supply[] {
  return s.supplies.filter((sup) => sup.percent !== null && sup.percent <= thresholdPercent);
}

/** A supply at or below this is low unless its account sets its own mark: an alert opens once when a poll sees it cross (seed 004's toner-low report is sent at 10 % too). */
export const SUPPLY_LOW_PERCENT = 10;

/** Supplies that went low since the last status, and those that came back above (a new cartridge). */
export function supplyCrossings(before: DeviceStatus, after: DeviceStatus, threshold = SUPPLY_LOW_PERCENT): { low: Supply[]; refilled: Supply[] } {
  const isLow = (s: Supply | undefined): boolean => s?.percent !== null && s?.percent !== undefined && s.percent <= threshold;
  const low: Supply[] = [];
  const refilled: Supply[] = [];
  for (const s of after.supplies) {
    const was = before.supplies.find((b) => b.index === s.index);
    if (isLow(s) && !isLow(was)) low.push(s);
    else if (!isLow(s) && s.percent !== null && isLow(was)) refilled.push(s);
  }
  return { low, refilled };
}

/** hrPrinterDetectedErrorState bits that stop a printer printing. */
const STOPPING = new Set(['noPaper', 'noToner', 'doorOpen', 'jammed', 'offline', 'markerSupplyMissing', 'inputTrayMissing', 'outputTrayMissing', 'outputFull']);

/** Why the printer cannot print now, from its state and errors; empty when nothing stops it. */
export function stoppedBy(s: DeviceStatus): string[] {
  const why = s.errors.filter((e) => STOPPING.has(e));
  return s.deviceState === 'down' ? ['down', ...why] : why;
}

/** The lowest known supply percent, or null when no supply's level is known. */
export function lowestSupply(s: DeviceStatus): number | null {
  const known = s.supplies.flatMap((sup) => (sup.percent === null ? [] : [sup.percent]));
  return known.length ? Math.min(...known) : null;
}

/** Pages printed between two counter readings: the growth of the total, none if it went back (a replaced board). */
export function pagesBetween(before: Counters, after: Counters): number {
  return before.total !== null && after.total !== null && after.total > before.total ? after.total - before.total : 0;
}

/**
 * Days until a supply runs out at the pace of its readings (a least-squares line through
 * percent over time), or null when it does not go down. Readings after the last rise (a new
 * cartridge) only.
 */
export function daysLeft(points: { at: number; value: number }[], now: number): number | null {
  let start = 0;
  for (let i = 1; i < points.length; i++) if (points[i]!.value > points[i - 1]!.value) start = i;
  const used = points.slice(start);
  if (used.length < 2) return null;
  const n = used.length;
  const mt = used.reduce((a, p) => a + p.at, 0) / n;
  const mv = used.reduce((a, p) => a + p.value, 0) / n;
  const slope = used.reduce((a, p) => a + (p.at - mt) * (p.value - mv), 0) / used.reduce((a, p) => a + (p.at - mt) ** 2, 0);
  if (!(slope < 0)) return null;
  const last = used[n - 1]!;
  const empty = last.at + last.value / -slope;
  return Math.max(0, (empty - now) / 86400_000);
}
