import { FRAME_HEADER } from '../../domain/fax.js';

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
    private readonly maxFrame: number,
    private readonly onFrame: (type: number, parts: Buffer[], payloadLength: number) => void,
    private readonly onProblem: (p: FrameProblem) => void,
  ) {}

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
