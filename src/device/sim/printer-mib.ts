import type { ResultObject, SmiType, TypedValue } from '../../domain/push.js';
import { valueProblem } from '../../domain/push.js';
import { CONSOLE_DISPLAY_OID, STATUS_OID, SYSTEM_OID } from '../../domain/status.js';

/**
 * A simulated Printer MIB (RFC 3805) with the Host Resources and system groups: what a virtual
 * MFP reads or changes when it answers a GET/SET (seed 000 S261). sysContact, sysName,
 * sysLocation and the console display's line are writable; everything else is read-only. Values change as the device "prints".
 */
interface Entry {
  type: SmiType;
  value: string;
  writable: boolean;
}

export const OID = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  ...SYSTEM_OID,
  ...STATUS_OID,
  prtConsoleDisplayBufferText: CONSOLE_DISPLAY_OID,
  alert: (col: number, i: number) => `1.3.6.1.2.1.43.18.1.1.${col}.1.${i}`,
} as const;

const ALERT_COLUMNS = [2, 4, 5, 7, 8, 9];

const SUPPLIES = [
  { description: 'Black Toner Cartridge TN-2420', type: 21, max: 3000 },
  { description: 'Drum Unit DR-2400', type: 9, max: 12000 },
];

export class PrinterMib {
  private readonly objects = new Map<string, Entry>();
  private readonly bootedAt: number;
  private alertIndex = 0;
  /** Columns and groups this MIB implements, even when a table has no rows (→ noSuchInstance). */
  private readonly parents = new Set<string>(ALERT_COLUMNS.map((col) => OID.alert(col, 0).slice(0, -1)));

  constructor(
    o: { model: string; serial: string },
    private readonly now: () => number = Date.now,
  ) {
    this.bootedAt = now();
    const ro = (oid: string, type: SmiType, value: string | number): void => void this.objects.set(oid, { type, value: String(value), writable: false });
    const rw = (oid: string, type: SmiType, value: string): void => void this.objects.set(oid, { type, value, writable: true });
    ro(OID.sysDescr, 'string', `FleetRelay virtual MFP ${o.model} (serial ${o.serial})`);
    ro(OID.sysObjectID, 'oid', '1.3.6.1.4.1.99999.1.1');
    rw(OID.sysContact, 'string', '');
    rw(OID.sysName, 'string', o.serial);
    rw(OID.sysLocation, 'string', '');
    rw(OID.prtConsoleDisplayBufferText, 'string', 'Ready');
    ro(OID.hrDeviceStatus, 'integer', 2); // running
    ro(OID.hrPrinterStatus, 'integer', 3); // idle
    ro(OID.hrPrinterDetectedErrorState, 'octets', '0000');
    ro(OID.prtMarkerLifeCount, 'counter32', 0);
    SUPPLIES.forEach((s, k) => {
      const i = k + 1;
      ro(OID.supplyType(i), 'integer', s.type);
      ro(OID.supplyDescription(i), 'string', s.description);
      ro(OID.supplyMaxCapacity(i), 'integer', s.max);
      ro(OID.supplyLevel(i), 'integer', s.max);
    });
  }

  get(oids: string[]): ResultObject[] {
    return oids.map((oid) => {
      if (oid === OID.sysUpTime) return { oid, type: 'timeticks', value: String(Math.floor((this.now() - this.bootedAt) / 10) % 2 ** 32) };
      const e = this.objects.get(oid);
      return e ? { oid, type: e.type, value: e.value } : { oid, error: this.missing(oid) };
    });
  }

  /** All or nothing: every object is checked before any is written. */
  set(objects: TypedValue[]): ResultObject[] {
    const refused = objects.map((o): ResultObject | null => {
      const e = this.objects.get(o.oid);
      if (!e && o.oid !== OID.sysUpTime) return { oid: o.oid, error: this.missing(o.oid) };
      if (!e || !e.writable) return { oid: o.oid, error: 'notWritable' };
      if (o.type !== e.type) return { oid: o.oid, error: 'wrongType' };
      if (valueProblem(o.type, o.value) || o.value.length > 255) return { oid: o.oid, error: 'wrongValue' };
      return null;
    });
    if (refused.some((r) => r !== null)) return objects.map((o, i) => refused[i] ?? { oid: o.oid, type: o.type, value: o.value });
    for (const o of objects) this.objects.get(o.oid)!.value = o.value;
    return objects.map((o) => ({ ...o }));
  }

  /**
   * A new row in prtAlertTable (RFC 3805 §2.2.13): severity critical(3)/warning(4), group
   * (e.g. input 8, markerSupplies 11), code (e.g. jam 8, markerSupplyEmpty 1101), description.
   */
  raiseAlert(a: { severity: number; group: number; groupIndex?: number; code: number; description: string }): number {
    const index = ++this.alertIndex;
    const ro = (col: number, type: SmiType, value: string | number): void =>
      void this.objects.set(OID.alert(col, index), { type, value: String(value), writable: false });
    ro(2, 'integer', a.severity);
    ro(4, 'integer', a.group);
    ro(5, 'integer', a.groupIndex ?? -1);
    ro(7, 'integer', a.code);
    ro(8, 'string', a.description);
    ro(9, 'timeticks', Math.floor((this.now() - this.bootedAt) / 10) % 2 ** 32);
    if (a.severity === 3) this.objects.get(OID.hrDeviceStatus)!.value = '5'; // down
    return index;
  }

  /** The condition cleared: its rows leave the table (prtAlertTable keeps only current alerts). */
  clearAlert(index: number): void {
    for (const col of ALERT_COLUMNS) this.objects.delete(OID.alert(col, index));
    const critical = [...this.objects.keys()].some((k) => k.startsWith('1.3.6.1.2.1.43.18.1.1.2.1.') && this.objects.get(k)!.value === '3');
    this.objects.get(OID.hrDeviceStatus)!.value = critical ? '5' : '2';
  }

  /** A new supply: back to full. */
  refill(supply: number): void {
    const max = this.objects.get(OID.supplyMaxCapacity(supply));
    const level = this.objects.get(OID.supplyLevel(supply));
    if (max && level) level.value = max.value;
  }

  /** The device prints some pages: the counter rises and toner and drum wear. */
  print(pages: number): void {
    const count = this.objects.get(OID.prtMarkerLifeCount)!;
    count.value = String((Number(count.value) + pages) % 2 ** 32);
    SUPPLIES.forEach((_, k) => {
      const level = this.objects.get(OID.supplyLevel(k + 1))!;
      level.value = String(Math.max(0, Number(level.value) - pages));
    });
  }

  private missing(oid: string): 'noSuchObject' | 'noSuchInstance' {
    const parent = oid.slice(0, oid.lastIndexOf('.') + 1);
    if (this.parents.has(parent)) return 'noSuchInstance';
    for (const known of this.objects.keys()) if (known.startsWith(parent)) return 'noSuchInstance';
    return 'noSuchObject';
  }
}
