import type { LineError } from '../../domain/fax.js';

/**
 * Fax relay wire format (seed 001, FIG. 2). A frame is a 4-byte big-endian length L, then
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

/** ERROR codes: the switchboard's refusals, and what the frame reader finds wrong with the bytes. */
export type ErrorCode = LineError | 'too-large' | 'bad-json' | 'unknown-type';

export type FrameProblem = { code: 'bad-frame' | 'too-large'; message: string; fatal: boolean };

/**
 * Incremental decoder of length-prefixed frames. Payloads come out as slices of the chunks
 * read from the socket (no copy), so a DATA frame can be forwarded as it arrived. At most one
 * frame (≤ maxFrame) is held at a time.
 */
export class FrameReader {
  private readonly head = Buffer.alloc(FRAME_HEADER);
  private headFill = 0;
  private length = 0;
  private remaining = -1;
  private parts: Buffer[] = [];
  private stopped = false;

  constructor(
    private maxFrame: number,
    private readonly onFrame: (type: number, parts: Buffer[], payloadLength: number) => void,
    private readonly onProblem: (p: FrameProblem) => void,
  ) {}

  /** Changes the largest frame accepted from the next frame on. */
  limit(maxFrame: number): void {
    this.maxFrame = maxFrame;
  }

  /** No more frames are emitted, even from the chunk being read. */
  stop(): void {
    this.stopped = true;
    this.parts = [];
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.stopped) {
      if (this.remaining < 0) {
        const want = (this.headFill < 4 ? 4 : FRAME_HEADER) - this.headFill;
        const n = Math.min(want, chunk.length - off);
        chunk.copy(this.head, this.headFill, off, off + n);
        this.headFill += n;
        off += n;
        if (this.headFill === 4) {
          this.length = this.head.readUInt32BE(0);
          if (this.length === 0) {
            this.headFill = 0;
            this.onProblem({ code: 'bad-frame', message: 'a frame length is at least 1 (the type byte)', fatal: false });
          } else if (this.length > this.maxFrame) {
            this.stop();
            this.onProblem({ code: 'too-large', message: `frame of ${this.length} bytes; the limit is ${this.maxFrame}`, fatal: true });
          }
        } else if (this.headFill === FRAME_HEADER) {
          this.headFill = 0;
          this.remaining = this.length - 1;
          if (this.remaining === 0) this.emit();
        }
      } else {
        const n = Math.min(this.remaining, chunk.length - off);
        this.parts.push(chunk.subarray(off, off + n));
        off += n;
        this.remaining -= n;
        if (this.remaining === 0) this.emit();
      }
    }
  }

  private emit(): void {
    const parts = this.parts;
    this.parts = [];
    this.remaining = -1;
    this.onFrame(this.head[4]!, parts, this.length - 1);
  }
}

export function frameHeader(type: number, payloadLength: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER);
  h.writeUInt32BE(payloadLength + 1, 0);
  h[4] = type;
  return h;
}

/** A control frame: the type and a JSON object (no payload at all when the object is empty). */
export function controlFrame(type: number, body: object = {}): Buffer {
  const json = Object.keys(body).length ? Buffer.from(JSON.stringify(body)) : Buffer.alloc(0);
  return Buffer.concat([frameHeader(type, json.length), json]);
}

export function dataFrame(type: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(type, payload.length), payload]);
}

/** The JSON object of a control payload ({} when empty); an error message when it is not one. */
export function parseControl(parts: Buffer[], length: number): Record<string, unknown> | string {
  if (length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse((parts.length === 1 ? parts[0]! : Buffer.concat(parts, length)).toString('utf8'));
  } catch {
    return 'the payload is not valid JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the payload must be a JSON object';
  return v as Record<string, unknown>;
}
