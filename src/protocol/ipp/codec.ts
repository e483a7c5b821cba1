/**
 * The IPP message encoding (RFC 8010 §3): a header, attribute groups, the end tag, then document
 * data. Pure; bounded: a decoder reads no byte past the buffer, nests collections at most
 * MAX_DEPTH deep and takes at most MAX_ATTRIBUTES values, and says "incomplete" for a header
 * cut short (more may come) apart from one that cannot be IPP (IppDecodeError).
 *
 * Our own rather than npm's ipp-encoder (5.0.0): that one has no collections (media-col, which
 * CUPS sends and IPP Everywhere requires), writes rangeOfInteger and resolution as strings,
 * reads past the end of a short buffer, and allocates with the deprecated `new Buffer`.
 */

/** Delimiter tags: the attribute groups (RFC 8010 §3.5.1, PWG 5100.18, 5100.22). */
export const GROUP = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
  subscription: 0x06,
  eventNotification: 0x07,
  document: 0x09,
  system: 0x0a,
} as const;

/** Value tags (RFC 8010 §3.5.2). */
export const TAG = {
  unsupported: 0x10,
  unknown: 0x12,
  noValue: 0x13,
  notSettable: 0x15,
  deleteAttribute: 0x16,
  adminDefine: 0x17,
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  textWithoutLanguage: 0x41,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
} as const;

export type IppValue =
  | { tag: typeof TAG.integer | typeof TAG.enum; value: number }
  | { tag: typeof TAG.boolean; value: boolean }
  | { tag: typeof TAG.dateTime; value: Date }
  | { tag: typeof TAG.resolution; value: { x: number; y: number; units: number } }
  | { tag: typeof TAG.rangeOfInteger; value: { lower: number; upper: number } }
  | { tag: typeof TAG.textWithLanguage | typeof TAG.nameWithLanguage; value: string; lang: string }
  | { tag: typeof TAG.begCollection; value: IppAttribute[] }
  | { tag: typeof TAG.octetString; value: Buffer }
  /** Out-of-band values (unsupported, unknown, no-value, …) carry none. */
  | { tag: number; value: string | null };

export interface IppAttribute {
  name: string;
  values: IppValue[];
}

export interface IppGroup {
  tag: number;
  attributes: IppAttribute[];
}

export interface IppMessage {
  version: { major: number; minor: number };
  /** operation-id in a request, status-code in a response. */
  code: number;
  requestId: number;
  groups: IppGroup[];
}

export class IppDecodeError extends Error {
  constructor(why: string, readonly at: number) {
    super(`not an IPP message: ${why} (at byte ${at})`);
    this.name = 'IppDecodeError';
  }
}

export const MAX_DEPTH = 8;
export const MAX_ATTRIBUTES = 20_000;

const OUT_OF_BAND = new Set<number>([TAG.unsupported, 0x11, TAG.unknown, TAG.noValue, 0x14, TAG.notSettable, TAG.deleteAttribute, TAG.adminDefine]);
const INTEGER_TAGS = new Set<number>([TAG.integer, TAG.enum]);

/**
 * Decodes the message at the start of `buf`: the message and how many bytes it took (the
 * document data follows them), or null when `buf` ends before the end-of-attributes tag.
 */
export function decodeMessage(buf: Buffer): { message: IppMessage; bytes: number } | null {
  try {
    return new Reader(buf).message();
  } catch (err) {
    if (err === INCOMPLETE) return null;
    throw err;
  }
}

const INCOMPLETE = Symbol('incomplete');

class Reader {
  private at = 0;
  private count = 0;

  constructor(private readonly buf: Buffer) {}

  message(): { message: IppMessage; bytes: number } {
    const major = this.u8();
    const minor = this.u8();
    const code = this.u16();
    const requestId = this.i32();
    const groups: IppGroup[] = [];
    let tag = this.u8();
    while (tag !== GROUP.end) {
      if (tag === 0 || tag > 0x0f) throw new IppDecodeError(`0x${tag.toString(16)} where an attribute group begins`, this.at - 1);
      const group: IppGroup = { tag, attributes: [] };
      groups.push(group);
      tag = this.u8();
      let last: IppAttribute | null = null;
      while (tag > 0x0f) {
        const name = this.text(this.u16());
        const value = this.value(tag, 0);
        if (name) group.attributes.push((last = { name, values: [value] }));
        else if (last) last.values.push(value);
        else throw new IppDecodeError('an additional value with no attribute before it', this.at);
        tag = this.u8();
      }
    }
    return { message: { version: { major, minor }, code, requestId, groups }, bytes: this.at };
  }

  private value(tag: number, depth: number): IppValue {
    if (++this.count > MAX_ATTRIBUTES) throw new IppDecodeError(`more than ${MAX_ATTRIBUTES} values`, this.at);
    if (tag === 0x7f) throw new IppDecodeError('extension tags are not supported', this.at);
    const length = this.u16();
    const start = this.at;
    const fixed = (n: number): void => {
      if (length !== n) throw new IppDecodeError(`a value of tag 0x${tag.toString(16)} is ${n} bytes, not ${length}`, start);
    };
    if (tag === TAG.begCollection) {
      this.skip(length);
      return { tag, value: this.collection(depth + 1) };
    }
    if (INTEGER_TAGS.has(tag)) {
      fixed(4);
      return { tag: tag as typeof TAG.integer, value: this.i32() };
    }
    switch (tag) {
      case TAG.boolean: {
        fixed(1);
        const b = this.u8();
        if (b > 1) throw new IppDecodeError('a boolean is 0 or 1', start);
        return { tag, value: b === 1 };
      }
      case TAG.dateTime: {
        fixed(11);
        return { tag, value: this.dateTime() };
      }
      case TAG.resolution:
        fixed(9);
        return { tag, value: { x: this.i32(), y: this.i32(), units: this.u8() } };
      case TAG.rangeOfInteger: {
        fixed(8);
        const lower = this.i32();
        return { tag, value: { lower, upper: this.i32() } };
      }
      case TAG.textWithLanguage:
      case TAG.nameWithLanguage: {
        const lang = this.text(this.u16());
        const value = this.text(this.u16());
        if (this.at - start !== length) throw new IppDecodeError('a string with its language does not fill its length', start);
        return { tag, value, lang };
      }
      case TAG.octetString:
        return { tag, value: Buffer.from(this.bytes(length)) };
      default:
        if (OUT_OF_BAND.has(tag)) {
          this.skip(length);
          return { tag, value: null };
        }
        if (tag === TAG.endCollection || tag === TAG.memberAttrName) throw new IppDecodeError(`0x${tag.toString(16)} outside a collection`, start);
        return { tag, value: this.text(length) };
    }
  }

  /** Members up to the endCollection tag: memberAttrName, then its values (additional ones with an empty name). */
  private collection(depth: number): IppAttribute[] {
    if (depth > MAX_DEPTH) throw new IppDecodeError(`collections nested more than ${MAX_DEPTH} deep`, this.at);
    const members: IppAttribute[] = [];
    let member: IppAttribute | null = null;
    for (;;) {
      const tag = this.u8();
      if (tag <= 0x0f) throw new IppDecodeError('a collection ends without its endCollection tag', this.at - 1);
      if (this.u16() !== 0) throw new IppDecodeError('a collection member value has a name', this.at);
      if (tag === TAG.endCollection) {
        this.skip(this.u16());
        return members;
      }
      if (tag === TAG.memberAttrName) {
        members.push((member = { name: this.text(this.u16()), values: [] }));
        continue;
      }
      if (!member) throw new IppDecodeError('a collection value before its member name', this.at);
      member.values.push(this.value(tag, depth));
    }
  }

  private dateTime(): Date {
    const [year, month, day, hour, minute, second, deci] = [this.u16(), this.u8(), this.u8(), this.u8(), this.u8(), this.u8(), this.u8()];
    const sign = this.u8();
    const [tzHours, tzMinutes] = [this.u8(), this.u8()];
    const offset = (sign === 0x2d ? -1 : 1) * (tzHours * 60 + tzMinutes);
    return new Date(Date.UTC(year, month - 1, day, hour, minute, second, deci * 100) - offset * 60_000);
  }

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw INCOMPLETE;
  }
  private u8(): number {
    this.need(1);
    return this.buf[this.at++]!;
  }
  private u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  private i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  private bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  private skip(n: number): void {
    this.bytes(n);
  }
  private text(n: number): string {
    return this.bytes(n).toString('utf8');
  }
}

/** Encodes a message (without document data). */
export function encodeMessage(m: IppMessage): Buffer {
  const out: Buffer[] = [];
  const head = Buffer.alloc(8);
  head.writeUInt8(m.version.major, 0);
  head.writeUInt8(m.version.minor, 1);
  head.writeUInt16BE(m.code, 2);
  head.writeInt32BE(m.requestId, 4);
  out.push(head);
  for (const g of m.groups) {
    out.push(Buffer.from([g.tag]));
    for (const a of g.attributes) a.values.forEach((v, i) => writeValue(out, i === 0 ? a.name : '', v));
  }
  out.push(Buffer.from([GROUP.end]));
  return Buffer.concat(out);
}

function writeValue(out: Buffer[], name: string, v: IppValue): void {
  const header = (length: number): void => {
    const n = Buffer.from(name, 'utf8');
    const b = Buffer.alloc(5 + n.length);
    b.writeUInt8(v.tag, 0);
    b.writeUInt16BE(n.length, 1);
    n.copy(b, 3);
    b.writeUInt16BE(length, 3 + n.length);
    out.push(b);
  };
  const fixed = (size: number, fill: (b: Buffer) => void): void => {
    header(size);
    const b = Buffer.alloc(size);
    fill(b);
    out.push(b);
  };
  switch (v.tag) {
    case TAG.integer:
    case TAG.enum:
      return fixed(4, (b) => b.writeInt32BE(v.value as number, 0));
    case TAG.boolean:
      return fixed(1, (b) => b.writeUInt8(v.value ? 1 : 0, 0));
    case TAG.dateTime:
      return fixed(11, (b) => writeDateTime(b, v.value as Date));
    case TAG.resolution: {
      const r = v.value as { x: number; y: number; units: number };
      return fixed(9, (b) => {
        b.writeInt32BE(r.x, 0);
        b.writeInt32BE(r.y, 4);
        b.writeUInt8(r.units, 8);
      });
    }
    case TAG.rangeOfInteger: {
      const r = v.value as { lower: number; upper: number };
      return fixed(8, (b) => {
        b.writeInt32BE(r.lower, 0);
        b.writeInt32BE(r.upper, 4);
      });
    }
    case TAG.textWithLanguage:
    case TAG.nameWithLanguage: {
      const lang = Buffer.from((v as { lang: string }).lang, 'utf8');
      const text = Buffer.from(v.value as string, 'utf8');
      header(4 + lang.length + text.length);
      const b = Buffer.alloc(4 + lang.length + text.length);
      b.writeUInt16BE(lang.length, 0);
      lang.copy(b, 2);
      b.writeUInt16BE(text.length, 2 + lang.length);
      text.copy(b, 4 + lang.length);
      out.push(b);
      return;
    }
    case TAG.begCollection: {
      header(0);
      for (const member of v.value as IppAttribute[]) {
        writeValue(out, '', { tag: TAG.memberAttrName, value: member.name });
        for (const mv of member.values) writeValue(out, '', mv);
      }
      writeValue(out, '', { tag: TAG.endCollection, value: null });
      return;
    }
    case TAG.octetString: {
      const b = v.value as Buffer;
      header(b.length);
      out.push(b);
      return;
    }
    default: {
      const b = Buffer.from(v.value === null ? '' : String(v.value), 'utf8');
      header(b.length);
      out.push(b);
    }
  }
}

function writeDateTime(b: Buffer, d: Date): void {
  b.writeUInt16BE(d.getUTCFullYear(), 0);
  b.writeUInt8(d.getUTCMonth() + 1, 2);
  b.writeUInt8(d.getUTCDate(), 3);
  b.writeUInt8(d.getUTCHours(), 4);
  b.writeUInt8(d.getUTCMinutes(), 5);
  b.writeUInt8(d.getUTCSeconds(), 6);
  b.writeUInt8(Math.floor(d.getUTCMilliseconds() / 100), 7);
  b.writeUInt8(0x2b, 8); // '+': UTC
  b.writeUInt8(0, 9);
  b.writeUInt8(0, 10);
}

/** A message's attribute in the first group of that tag. */
export const attr = (m: IppMessage, group: number, name: string): IppAttribute | undefined => m.groups.find((g) => g.tag === group)?.attributes.find((a) => a.name === name);

