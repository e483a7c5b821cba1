/**
 * A raw fax-protocol socket for tests: it writes whatever bytes a test wants (good or bad) and
 * decodes what the relay sends with its own small parser, independent of the relay's.
 */
import { connect, type Socket } from 'node:net';

export const T = {
  LOGIN: 0x01, LOGIN_RESULT: 0x02, HOLD: 0x03, HOLD_ACK: 0x04, LIST: 0x05, LIST_RESULT: 0x06,
  CONNECT: 0x10, INCOMING: 0x11, ACCEPT: 0x12, REJECT: 0x13, CONNECT_RESULT: 0x14,
  DATA: 0x20, TERMINATE: 0x21, RELEASE: 0x22, LOGOUT: 0x30, ERROR: 0x7f,
} as const;

export interface Frame {
  type: number;
  payload: Buffer;
  body: any;
}

export function frame(type: number, payload: Buffer | object = Buffer.alloc(0)): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const h = Buffer.alloc(5);
  h.writeUInt32BE(p.length + 1, 0);
  h[4] = type;
  return Buffer.concat([h, p]);
}

export class RawFax {
  readonly frames: Frame[] = [];
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;
  private readonly closedP: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      while (this.buf.length >= 5) {
        const len = this.buf.readUInt32BE(0);
        if (this.buf.length < 4 + len) break;
        const type = this.buf[4]!;
        const payload = this.buf.subarray(5, 4 + len);
        this.buf = this.buf.subarray(4 + len);
        let body: unknown = null;
        if (type !== T.DATA) {
          try {
            body = payload.length === 0 ? {} : JSON.parse(payload.toString());
          } catch {
            body = null;
          }
        }
        this.frames.push({ type, payload, body });
      }
      this.wake?.();
    });
    socket.on('error', () => {});
    this.closedP = new Promise((r) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake?.();
        r();
      }),
    );
  }

  static connect(port: number): Promise<RawFax> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawFax(s)));
      s.once('error', reject);
    });
  }

  static async login(port: number, user: string, password = 'fax-secret-1', ms = 5000): Promise<RawFax> {
    const f = await RawFax.connect(port);
    f.send(T.LOGIN, { user, password });
    const r = await f.next(T.LOGIN_RESULT, ms);
    if (r.body.ok !== true) throw new Error(`login of ${user} refused: ${JSON.stringify(r.body)}`);
    return f;
  }

  send(type: number, payload?: Buffer | object): void {
    this.socket.write(frame(type, payload));
  }

  /** The next frame (of a type, skipping none: a different type fails), within ms. */
  async next(type?: number, ms = 5000): Promise<Frame> {
    const end = Date.now() + ms;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error(`connection closed while waiting for frame ${type ?? ''}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no frame ${type === undefined ? '' : `0x${type.toString(16)} `}within ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    const f = this.frames.shift()!;
    if (type !== undefined && f.type !== type) throw new Error(`expected frame 0x${type.toString(16)}, got 0x${f.type.toString(16)} ${JSON.stringify(f.body)}`);
    return f;
  }

  /** Nothing arrives for ms. */
  async quiet(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.frames.length) throw new Error(`unexpected frame 0x${this.frames[0]!.type.toString(16)} ${JSON.stringify(this.frames[0]!.body)}`);
  }

  /** Resolves when the relay closed the connection; fails after ms. */
  async whenClosed(ms = 5000): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.closedP, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`still open after ${ms} ms`)), ms)))]);
    clearTimeout(t);
  }

  end(): void {
    this.socket.destroy();
  }
}

/** Calls `to` from `caller` and accepts on `callee`; returns the call ID. */
export async function pair(caller: RawFax, callee: RawFax, to: string): Promise<string> {
  caller.send(T.CONNECT, { to });
  const inc = await callee.next(T.INCOMING);
  callee.send(T.ACCEPT, { callId: inc.body.callId });
  const r = await caller.next(T.CONNECT_RESULT);
  if (r.body.ok !== true) throw new Error(JSON.stringify(r.body));
  return r.body.callId;
}
