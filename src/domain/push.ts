/**
 * The management object model of the push relay (seed 000): the objects a service server's GET
 * or SET names by object ID, here SNMP OIDs (the Printer MIB is the model), with values typed by
 * SMI names. Pure validation, no I/O.
 */

export const SMI_TYPES = ['integer', 'string', 'octets', 'oid', 'counter32', 'counter64', 'gauge32', 'timeticks', 'ipaddress'] as const;
export type SmiType = (typeof SMI_TYPES)[number];

export const SNMP_ERRORS = ['noSuchObject', 'noSuchInstance', 'notWritable', 'wrongType', 'wrongValue', 'genErr'] as const;
export type SnmpError = (typeof SNMP_ERRORS)[number];

export const MAX_OBJECTS = 128;
const MAX_STRING = 4096;

export type PushOp = 'get' | 'set';

export interface TypedValue {
  oid: string;
  type: SmiType;
  value: string;
}

/** One object of an answer: a value, or an SNMP error name for that object. */
export type ResultObject = TypedValue | { oid: string; error: SnmpError };

export interface PushRequest {
  requestId: string;
  deviceId: string;
  op: PushOp;
  /** GET: the objects asked for. */
  oids?: string[];
  /** SET: the objects to write. */
  objects?: TypedValue[];
}

export type PushAnswer = { objects: ResultObject[] } | { error: { condition: string; text?: string } };

const U32 = 2 ** 32 - 1;
const U64 = 2n ** 64n - 1n;

export function isOid(s: string): boolean {
  if (s.length > 512 || !/^[0-2](\.(0|[1-9]\d{0,9}))+$/.test(s)) return false;
  return s.split('.').every((arc) => Number(arc) <= U32);
}

export const isSmiType = (s: string): s is SmiType => (SMI_TYPES as readonly string[]).includes(s);
export const isSnmpError = (s: string): s is SnmpError => (SNMP_ERRORS as readonly string[]).includes(s);

/** Why a value does not fit its SMI type, or null if it does. Values travel as decimal or hex strings. */
export function valueProblem(type: SmiType, value: string): string | null {
  const intIn = (lo: bigint, hi: bigint): boolean => /^-?\d{1,20}$/.test(value) && BigInt(value) >= lo && BigInt(value) <= hi;
  switch (type) {
    case 'integer':
      return intIn(-(2n ** 31n), 2n ** 31n - 1n) ? null : 'an integer is a 32-bit signed whole number';
    case 'counter32':
    case 'gauge32':
    case 'timeticks':
      return intIn(0n, BigInt(U32)) ? null : `a ${type} is a whole number from 0 to ${U32}`;
    case 'counter64':
      return intIn(0n, U64) ? null : 'a counter64 is a decimal string from 0 to 2^64-1';
    case 'octets':
      return /^([0-9a-fA-F]{2}){0,4096}$/.test(value) ? null : 'octets are an even number of hex digits';
    case 'oid':
      return isOid(value) ? null : 'not an object identifier';
    case 'ipaddress':
      return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value) ? null : 'not a dotted IPv4 address';
    case 'string':
      return value.length <= MAX_STRING ? null : `a string is at most ${MAX_STRING} characters`;
  }
}

/** SET is all or nothing: the first object the device refused in its answer, if any. */
export function refusedObject(objects: ResultObject[]): { oid: string; error: SnmpError } | null {
  for (const o of objects) if ('error' in o) return o;
  return null;
}

/** Whether an answer covers exactly the objects asked for, in any order. */
export function answersRequest(req: PushRequest, objects: ResultObject[]): boolean {
  const asked = req.op === 'get' ? req.oids! : req.objects!.map((o) => o.oid);
  if (objects.length !== asked.length) return false;
  const got = new Set(objects.map((o) => o.oid));
  return asked.every((oid) => got.has(oid));
}

export interface QueuedRequest {
  requestId: string;
  deviceId: string;
  accountId: string;
  op: PushOp;
  oids?: string[];
  objects?: TypedValue[];
  state: 'queued' | 'delivered' | 'answered';
  answer: PushAnswer | null;
  createdAt: number;
  expiresAt: number;
  deliveredAt: number | null;
  answeredAt: number | null;
}
