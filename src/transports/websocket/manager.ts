import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type Server } from 'ws';
import type { Clock } from '../../domain/clock.js';
import { base32 } from '../../domain/identifiers.js';
import type { Admission } from '../../services/kernel/rate-limit.js';
import type { Random } from '../../services/kernel/secrets.js';
import type { SessionCapacity } from '../capacity.js';
import type { StreamPort } from '../xmpp/stream.js';
import { DeviceSocket, WsSession, type WebSocketSettings, type WsHost } from './session.js';

export const WEBSOCKET_PATH = '/xmpp-websocket';

/**
 * XMPP over WebSocket (RFC 7395) at /xmpp-websocket, subprotocol `xmpp`: for devices that can
 * hold one connection. Same stream, presence, session cap and admission as BOSH; a device's
 * session lives on the node its connection reached, so nothing is forwarded.
 */
export class WebSocketManager implements WsHost {
  private readonly sessions = new Set<WsSession>();
  private readonly deadlines = new Map<WsSession, () => void>();
  private readonly server: Server<typeof DeviceSocket>;
  private stopPings: (() => void) | null = null;
  /** Sessions ended since start, by why. */
  readonly endedBy = new Map<string, number>();

  constructor(
    readonly settings: WebSocketSettings,
    readonly port: StreamPort,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly log: Logger,
    private readonly admission: Admission,
    private readonly capacity: SessionCapacity,
    nodeId: string,
  ) {
    this.server = new WebSocketServer({
      WebSocket: DeviceSocket,
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: settings.maxFrameBytes,
      handleProtocols: (offered) => (offered.has('xmpp') ? 'xmpp' : false),
    });
    this.server.on('headers', (headers) => headers.push(`x-fleetrelay-node: ${nodeId}`));
    capacity.count(() => this.sessions.size);
  }

  get size(): number {
    return this.sessions.size;
  }

  start(): void {
    const round = (): void => {
      for (const s of this.sessions) s.ping();
      this.stopPings = this.clock.after(this.settings.pingInterval * 1000, round);
    };
    this.stopPings = this.clock.after(this.settings.pingInterval * 1000, round);
  }

  /** An HTTP upgrade on the relay's port: ours if it asks for /xmpp-websocket with the `xmpp` subprotocol. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientIp = req.socket.remoteAddress ?? ''): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WEBSOCKET_PATH) return refuse(socket, 404, `no WebSocket endpoint at ${path}; XMPP is at ${WEBSOCKET_PATH}`);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes('xmpp')) return refuse(socket, 400, "ask for the WebSocket subprotocol 'xmpp' (RFC 7395 §3.1)");
    if (this.capacity.room === 0) {
      this.log.warn({ sessions: this.capacity.used }, 'refusing a WebSocket session: at capacity (open files)');
      return refuse(socket, 503, 'the relay holds all the sessions it can', 60);
    }
    const retryAfter = this.admission.admit();
    if (retryAfter > 0) return refuse(socket, 503, 'the relay is busy admitting sessions', retryAfter);
    this.server.handleUpgrade(req, socket, head, (ws) => {
      const s = new WsSession(ws, this, clientIp);
      this.sessions.add(s);
      this.deadlines.set(
        s,
        this.clock.after(this.settings.authDeadline * 1000, () => s.fail('policy-violation', `authenticate within ${this.settings.authDeadline} s`)),
      );
    });
  }

  /** Ends every session (relay shutdown). */
  closeAll(): void {
    this.stopPings?.();
    for (const s of [...this.sessions]) s.close('shutdown');
  }

  // WsHost

  now(): number {
    return this.clock.now();
  }

  newStreamId(): string {
    return base32(this.random.bytes(10));
  }

  authenticated(session: WsSession): void {
    this.deadlines.get(session)?.();
    this.deadlines.delete(session);
  }

  ended(session: WsSession, why: string): void {
    this.authenticated(session);
    if (this.sessions.delete(session)) this.endedBy.set(why, (this.endedBy.get(why) ?? 0) + 1);
  }
}

/** Answers an upgrade it will not take with a plain HTTP error, and closes the connection. */
function refuse(socket: Duplex, status: number, why: string, retryAfter?: number): void {
  const reason = { 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' }[status];
  const body = `${why}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      (retryAfter ? `Retry-After: ${retryAfter}\r\n` : '') +
      `Connection: close\r\n\r\n${body}`,
  );
}
