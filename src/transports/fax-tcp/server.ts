import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { controlFrame, frameHeader, FrameReader, FrameType, frameName, FROM_DEVICE, parseControl, type ErrorCode } from '../../protocol/fax/frames.js';
import type { FaxLine, FaxLinePort, Relayed } from '../../services/fax/line.js';
import type { FaxSwitchboard } from '../../services/fax/switchboard.js';

export interface FaxServerOptions {
  maxFrame: number;
  maxConnections: number;
  tls?: { cert: Buffer; key: Buffer };
}

/** Largest frame before LOGIN succeeds: a LOGIN (user ID ≤ 64, password ≤ 1,024 characters) fits. */
export const PRE_LOGIN_MAX_FRAME = 2048;
/** Frames a client may pipeline behind its LOGIN while the password is checked. */
const MAX_QUEUED_FRAMES = 64;
/** Socket buffers: big enough for a 64 KiB DATA frame to pass without a pause, small enough for thousands of calls. */
const HIGH_WATER_MARK = 512 * 1024;
const CLOSE_GRACE_MS = 5_000;

/** A frame's payload as the reader cut it from the socket: slices of its chunks, never copied. */
interface Payload extends Relayed {
  parts: Buffer[];
}
const payload = (parts: Buffer[], length: number): Payload => ({ parts, length });

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * The fax relay's TCP listener: parses frames and hands them to the switchboard, and writes
 * the switchboard's verbs (FaxLinePort) as frames; frames live here only. Reading and writing
 * are tied together: a line whose peer cannot take more is paused (see FaxSwitchboard.data).
 */
export function faxServer(board: FaxSwitchboard, o: FaxServerOptions, logger: Logger): Server {
  const onSocket = (socket: Socket): void => {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    let closing = false;
    // Control frames the relay itself writes must not pile up behind a reader that never reads.
    const controlBacklogCap = 4 * o.maxFrame;
    const send = (type: FrameType, body?: object): void => {
      if (closing) return;
      if (socket.writableLength > controlBacklogCap) {
        logger.info({ connectionId: line.id }, 'fax line closed: not reading what the relay sends');
        socket.destroy();
        return;
      }
      socket.write(controlFrame(type, body));
    };
    /** Passes a frame on as it was received: the payload is the slices the reader cut from the sender's socket. */
    const relay = (type: FrameType, data: Relayed): boolean => {
      if (closing) return true;
      const { parts, length } = data as Payload;
      socket.cork();
      socket.write(frameHeader(type, length));
      for (const p of parts) socket.write(p);
      socket.uncork();
      return !socket.writableNeedDrain;
    };
    const io: FaxLinePort = {
      remoteAddress: (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, ''),
      loggedIn: (r) => {
        reader.limit(o.maxFrame);
        send(FrameType.LOGIN_RESULT, { ok: true, ...r });
      },
      loginRefused: (reason) => send(FrameType.LOGIN_RESULT, { ok: false, reason }),
      holdAck: () => send(FrameType.HOLD_ACK),
      users: (users) => send(FrameType.LIST_RESULT, { users }),
      incoming: (call) => send(FrameType.INCOMING, call),
      connected: (call) => send(FrameType.CONNECT_RESULT, { ok: true, ...call }),
      callFailed: (f) => send(FrameType.CONNECT_RESULT, { ok: false, ...f }),
      error: (code, message) => refuse(code, message),
      relayData: (data) => relay(FrameType.DATA, data),
      terminated: (data) => (data ? relay(FrameType.TERMINATE, data) : (send(FrameType.TERMINATE), true)),
      pauseReading: () => socket.pause(),
      resumeReading: () => socket.resume(),
      onceDrained: (fn) => socket.once('drain', fn),
      close() {
        if (closing) return;
        closing = true;
        reader.stop();
        const anonymous = line.state === 'login';
        board.closed(line);
        // A connection that never logged in gets no grace: what it still sends would only be read and thrown away.
        if (anonymous) return void socket.end(() => socket.destroy());
        socket.end();
        const t = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
        t.unref();
        socket.once('close', () => clearTimeout(t));
      },
    };
    const refuse = (code: ErrorCode, message: string): void => send(FrameType.ERROR, { code, message });
    const opened = board.open(io);
    if (!opened) {
      socket.on('error', () => {});
      socket.end(controlFrame(FrameType.ERROR, { code: 'throttled', message: 'too many connections are waiting to log in; try again later' }), () => socket.destroy());
      return;
    }
    const line: FaxLine = opened;
    let waiting: { type: number; parts: Buffer[]; length: number }[] | null = null;

    const dispatch = (type: number, parts: Buffer[], length: number): void => {
      if (type === FrameType.DATA) {
        board.heard(line, false);
        return board.data(line, payload(parts, length));
      }
      if (!board.heard(line, true)) return;
      if (type === FrameType.TERMINATE) return board.terminate(line, payload(parts, length));
      if (!FROM_DEVICE.has(type)) {
        const known = frameName(type).startsWith('0x') ? `unknown frame type ${frameName(type)}` : `${frameName(type)} is sent by the relay, not by a fax machine`;
        return refuse('unknown-type', known);
      }
      const body = parseControl(parts, length);
      if (typeof body === 'string') return refuse('bad-json', `${frameName(type)}: ${body}`);
      switch (type) {
        case FrameType.LOGIN:
          if (!str(body.user, 64) || !str(body.password, 1024)) return refuse('bad-frame', 'LOGIN needs {"user", "password"}');
          waiting = [];
          socket.pause();
          board.login(line, body.user, body.password).then(
            () => {
              const queued = waiting ?? [];
              waiting = null;
              if (closing) return;
              socket.resume();
              for (const f of queued) dispatch(f.type, f.parts, f.length);
            },
            (err: unknown) => {
              logger.error({ err }, 'fax login failed');
              io.close();
            },
          );
          return;
        case FrameType.HOLD:
          return board.hold(line);
        case FrameType.LIST:
          return board.list(line);
        case FrameType.CONNECT:
          if (!str(body.to, 64)) return refuse('bad-frame', 'CONNECT needs {"to": user ID}');
          return board.connect(line, body.to);
        case FrameType.ACCEPT:
        case FrameType.REJECT: {
          const callId = body.callId;
          if (callId !== undefined && !str(callId, 64)) return refuse('bad-frame', 'callId is a string');
          const reason = typeof body.reason === 'string' ? body.reason : undefined;
          return board.answer(line, type === FrameType.ACCEPT, callId, reason);
        }
        case FrameType.RELEASE:
          return board.release(line);
        case FrameType.LOGOUT:
          return board.logout(line);
      }
    };

    // Until it has logged in, a connection may send only small frames: holding a whole maxFrame
    // for every anonymous connection would let anyone fill the relay's memory.
    const reader = new FrameReader(
      PRE_LOGIN_MAX_FRAME,
      (type, parts, length) => {
        if (!waiting) return dispatch(type, parts, length);
        if (waiting.length >= MAX_QUEUED_FRAMES) {
          refuse('throttled', 'too many frames sent before the login answer');
          return io.close();
        }
        waiting.push({ type, parts, length });
      },
      (p) => {
        if (p.fatal) {
          refuse(p.code, p.message);
          return io.close();
        }
        if (board.heard(line, true)) refuse(p.code, p.message);
      },
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (err) => logger.debug({ err, connectionId: line.id }, 'fax socket error'));
    socket.on('close', () => {
      closing = true;
      reader.stop();
      board.closed(line);
    });
  };

  const server = o.tls
    ? createTlsServer({ cert: o.tls.cert, key: o.tls.key, highWaterMark: HIGH_WATER_MARK }, onSocket).on('tlsClientError', (err) =>
        logger.debug({ err }, 'fax TLS handshake failed'),
      )
    : createServer({ highWaterMark: HIGH_WATER_MARK, noDelay: true }, onSocket);
  server.maxConnections = o.maxConnections;
  server.on('drop', (d) => logger.warn({ remoteAddress: d?.remoteAddress }, 'fax connection refused: connection limit reached'));
  return server;
}
