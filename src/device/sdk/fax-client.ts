import { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { DemandFailure } from '../../domain/fax.js';
import { controlFrame, dataFrame, DEFAULT_MAX_FRAME, FrameReader, FrameType, frameName, parseControl } from '../../protocol/fax/frames.js';

export interface FaxEndpoint {
  host: string;
  port: number;
  /** Connect with TLS; `ca` trusts a private certificate authority. */
  tls?: { ca?: Buffer; rejectUnauthorized?: boolean };
}

export class FaxError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FaxError';
  }
}

/** How long any answer from the relay is waited for, except a call (the relay bounds that). */
const ANSWER_MS = 15_000;
const CALL_MS = 60_000;

type Waiter = { resolve: (body: Record<string, unknown>) => void; reject: (e: Error) => void; stop: () => void };

export interface FaxConnectionEvents {
  incoming: [{ from: string; callId: string }];
  data: [Buffer];
  terminate: [];
  'relay-error': [{ code: string; message: string }];
  close: [];
}

/**
 * One logged-in connection of a fax machine to the relay (seed 001 FIG. 2, device side). It
 * sends HOLD every hold interval and closes itself when the relay stops answering.
 */
export class FaxConnection extends EventEmitter<FaxConnectionEvents> {
  state: 'vacant' | 'dialling' | 'notified' | 'paired' = 'vacant';
  peer: string | null = null;
  connectionId = '';
  holdIntervalSec = 60;
  private readonly waiters = new Map<number, Waiter[]>();
  private holdTimer: NodeJS.Timeout | null = null;
  private heardAt = Date.now();
  private closed = false;

  private constructor(private readonly socket: Socket) {
    super();
  }

  /** (1)–(3): connects and logs in with the user ID and password; rejects with FaxError('bad-credentials' | 'throttled' | …) when refused. */
  static async open(ep: FaxEndpoint, user: string, password: string, o: { maxFrame?: number } = {}): Promise<FaxConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = ep.tls
        ? tlsConnect({ host: ep.host, port: ep.port, ca: ep.tls.ca, rejectUnauthorized: ep.tls.rejectUnauthorized ?? true, servername: ep.host })
        : tcpConnect({ host: ep.host, port: ep.port });
      const fail = (err: Error): void => reject(new FaxError('unreachable', `cannot reach the fax relay at ${ep.host}:${ep.port}: ${err.message}`));
      s.once('error', fail);
      s.setTimeout(ANSWER_MS, () => s.destroy(new Error('timed out')));
      s.once(ep.tls ? 'secureConnect' : 'connect', () => {
        s.off('error', fail);
        s.setTimeout(0);
        resolve(s);
      });
    });
    socket.setNoDelay(true);
    const c = new FaxConnection(socket);
    c.attach(o.maxFrame ?? DEFAULT_MAX_FRAME);
    const r = await c.request(FrameType.LOGIN, { user, password }, FrameType.LOGIN_RESULT);
    if (r.ok !== true) {
      c.close();
      throw new FaxError(String(r.reason ?? 'refused'), `login refused: ${String(r.reason ?? 'refused')}`);
    }
    c.connectionId = String(r.connectionId ?? '');
    c.holdIntervalSec = Number(r.holdIntervalSec) || 60;
    c.startHold();
    return c;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Logged-in users of the same account. */
  async list(): Promise<string[]> {
    const r = await this.request(FrameType.LIST, {}, FrameType.LIST_RESULT);
    return Array.isArray(r.users) ? r.users.map(String) : [];
  }

  /** (6)–(9): a connection demand naming the callee's user ID; resolves when the callee accepted, rejects with FaxError(reason) otherwise. */
  async call(to: string): Promise<{ callId: string; peer: string }> {
    this.state = 'dialling';
    const r = await this.request(FrameType.CONNECT, { to }, FrameType.CONNECT_RESULT, CALL_MS).catch((e: unknown) => {
      this.state = 'vacant';
      throw e;
    });
    if (r.ok !== true) {
      this.state = 'vacant';
      throw new FaxError(String(r.reason) as DemandFailure, `call to ${to} failed: ${String(r.reason)}${r.message ? ` (${String(r.message)})` : ''}`);
    }
    this.state = 'paired';
    this.peer = String(r.peer);
    return { callId: String(r.callId), peer: this.peer };
  }

  /** (8): accepts the call this connection was notified of; the two connections are paired. */
  accept(callId?: string): void {
    this.write(controlFrame(FrameType.ACCEPT, callId ? { callId } : {}));
    this.state = 'paired';
  }

  /** (8): refuses it; the relay passes the error to the caller. */
  reject(callId?: string, reason?: string): void {
    this.write(controlFrame(FrameType.REJECT, { ...(callId ? { callId } : {}), ...(reason ? { reason } : {}) }));
    this.state = 'vacant';
    this.peer = null;
  }

  /** Sends one DATA frame; false when the socket's buffer is full (wait for `drained()`). */
  send(payload: Buffer): boolean {
    return this.write(dataFrame(FrameType.DATA, payload));
  }

  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.once('close', done);
    });
  }

  /** (19): the termination notification, passed to the peer. */
  terminate(): void {
    this.write(controlFrame(FrameType.TERMINATE));
  }

  /** (21): the releasing notification: this connection is vacant again. */
  release(): void {
    this.write(controlFrame(FrameType.RELEASE));
    this.state = 'vacant';
    this.peer = null;
  }

  /** (22): the log-out notification; the relay closes all of the user's connections. */
  logout(): void {
    this.write(controlFrame(FrameType.LOGOUT));
    this.socket.end();
  }

  /** Closes this connection gracefully (queued frames go out first); the user's other connections stay. */
  end(): void {
    this.socket.end();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    if (this.closed) return;
    this.socket.destroy();
  }

  private write(frame: Buffer): boolean {
    if (this.closed) throw new FaxError('closed', 'the connection to the fax relay is closed');
    return this.socket.write(frame);
  }

  private request(type: FrameType, body: object, answer: FrameType, ms = ANSWER_MS): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, stop: () => {} };
      const t = setTimeout(() => {
        this.dropWaiter(answer, w);
        reject(new FaxError('timeout', `no ${frameName(answer)} from the relay within ${ms / 1000} s`));
      }, ms);
      w.stop = () => clearTimeout(t);
      const list = this.waiters.get(answer) ?? [];
      list.push(w);
      this.waiters.set(answer, list);
      try {
        this.write(controlFrame(type, body));
      } catch (e) {
        this.dropWaiter(answer, w);
        w.stop();
        reject(e as Error);
      }
    });
  }

  private dropWaiter(type: number, w: Waiter): void {
    const list = this.waiters.get(type);
    if (list) list.splice(list.indexOf(w), 1);
  }

  private attach(maxFrame: number): void {
    const reader = new FrameReader(
      maxFrame,
      (type, parts, length) => this.onFrame(type, parts, length),
      (p) => this.socket.destroy(new Error(`bad frame from the relay: ${p.message}`)),
    );
    this.socket.on('data', (chunk: Buffer) => {
      this.heardAt = Date.now();
      reader.push(chunk);
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      if (this.holdTimer) clearInterval(this.holdTimer);
      for (const [, list] of this.waiters)
        for (const w of list.splice(0)) {
          w.stop();
          w.reject(new FaxError('closed', 'the fax relay closed the connection'));
        }
      this.emit('close');
    });
  }

  private onFrame(type: number, parts: Buffer[], length: number): void {
    if (type === FrameType.DATA) {
      this.emit('data', parts.length === 1 ? parts[0]! : Buffer.concat(parts, length));
      return;
    }
    if (type === FrameType.TERMINATE) {
      this.emit('terminate');
      return;
    }
    const body = parseControl(parts, length);
    if (typeof body === 'string') return;
    const w = this.waiters.get(type)?.shift();
    if (w) {
      w.stop();
      return w.resolve(body);
    }
    if (type === FrameType.INCOMING) {
      this.state = 'notified';
      this.peer = String(body.from);
      this.emit('incoming', { from: String(body.from), callId: String(body.callId) });
    } else if (type === FrameType.ERROR) {
      this.emit('relay-error', { code: String(body.code), message: String(body.message) });
    }
  }

  private startHold(): void {
    const every = this.holdIntervalSec * 1000;
    this.holdTimer = setInterval(() => {
      // Two intervals without a byte from the relay (not even a HOLD_ACK) while it reads us: it is gone.
      if (Date.now() - this.heardAt > 2 * every + 5_000 && !this.socket.writableNeedDrain) return this.socket.destroy();
      if (!this.closed) this.socket.write(controlFrame(FrameType.HOLD));
    }, every);
    this.holdTimer.unref();
  }
}
