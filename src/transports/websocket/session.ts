import { WebSocket } from 'ws';
import type { DeviceMessage } from '../../domain/messages.js';
import type { DeviceLink } from '../../sessions/hub.js';
import { encodeMessage } from '../../protocol/xmpp/device-messages.js';
import { NS } from '../../protocol/xmpp/namespaces.js';
import { el, localName, parseXml, serialize, XmlError, type XmlElement } from '../../protocol/xmpp/xml.js';
import { TokenBucket } from '../../services/kernel/rate-limit.js';
import { XmppStream, type StreamOutput, type StreamPort } from '../xmpp/stream.js';

const FRAMING = NS.framing;

export interface WebSocketSettings {
  /** Largest message read (bytes); a larger one ends the connection. */
  maxFrameBytes: number;
  /** Seconds a new connection has to authenticate. */
  authDeadline: number;
  /** Seconds between WebSocket pings; a peer that did not answer the last one is gone. */
  pingInterval: number;
  /** Bytes written but not yet sent to the device before pushes are refused (a device that stopped reading). */
  maxBufferedBytes: number;
  /** Stanzas a device may send per second (one second's worth in a burst); past it, the stream ends. */
  stanzasPerSecond: number;
}

export const DEFAULT_WEBSOCKET: WebSocketSettings = {
  maxFrameBytes: 64 * 1024,
  authDeadline: 10,
  pingInterval: 30,
  maxBufferedBytes: 256 * 1024,
  stanzasPerSecond: 50,
};

/** What a session needs from its manager. */
export interface WsHost {
  settings: WebSocketSettings;
  port: StreamPort;
  now(): number;
  newStreamId(): string;
  authenticated(session: WsSession): void;
  ended(session: WsSession, why: string): void;
}

/**
 * The relay's WebSocket: it points at its session, so the four listeners every connection needs
 * are the same four functions for all of them rather than four closures each (tens of thousands of
 * idle sessions; see docs/benchmarks.md).
 */
export class DeviceSocket extends WebSocket {
  session: WsSession | null = null;
}

// `this` is the socket that emitted (ws's listener type says WebSocket; the server makes DeviceSockets).
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as DeviceSocket).session?.message(data, isBinary);
}
function onPong(this: WebSocket): void {
  (this as DeviceSocket).session?.pong();
}
function onClose(this: WebSocket): void {
  (this as DeviceSocket).session?.end('client');
}
function onError(this: WebSocket): void {
  (this as DeviceSocket).session?.end('network');
}

/**
 * One XMPP stream over a WebSocket (RFC 7395): `<open/>` and `<close/>` frame the stream, every
 * other message is one stanza or nonza for the transport-independent XmppStream. Stanzas are
 * handled one at a time in the order they came (authentication may wait on the store).
 */
export class WsSession implements DeviceLink, StreamOutput {
  readonly stream: XmppStream;
  /** Answered a ping since the last one. */
  alive = true;
  private opened = false;
  private isEnded = false;
  /** The stanza being handled and those queued behind it; null when idle (most sessions, most of the time). */
  private work: Promise<void> | null = null;
  private readonly stanzas: TokenBucket;

  constructor(
    private readonly ws: DeviceSocket,
    private readonly host: WsHost,
    readonly clientIp: string,
  ) {
    this.stream = new XmppStream(host.port, this, this, clientIp);
    this.stanzas = new TokenBucket(host, host.settings.stanzasPerSecond);
    ws.session = this;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** The manager's ping round: a peer that did not answer the last one is gone (a dead NAT, a pulled cable). */
  ping(): void {
    if (!this.alive) {
      this.ws.terminate();
      return this.end('inactivity');
    }
    this.alive = false;
    this.ws.ping();
  }

  // StreamOutput

  send(stanza: XmlElement): void {
    this.write(serialize(framed(stanza)));
  }

  authenticated(): void {
    this.host.authenticated(this);
  }

  /** RFC 7395 §3.6: a stream error, then `<close/>`, then the connection ends. */
  fail(condition: string, detail?: string, why = condition): void {
    if (this.isEnded) return;
    const textEl = detail ? [el('text', { xmlns: NS.streams }, detail)] : [];
    this.write(serialize(el('error', { xmlns: NS.stream }, el(condition, { xmlns: NS.streams }), ...textEl)));
    this.closeStream(why);
  }

  // DeviceLink

  get transport(): 'websocket' {
    return 'websocket';
  }

  deliver(msg: DeviceMessage): boolean {
    const jid = this.stream.jid;
    if (this.isEnded || !jid || this.ws.bufferedAmount > this.host.settings.maxBufferedBytes) return false;
    this.send(encodeMessage(msg, jid, this.host.port.domain));
    return true;
  }

  close(reason: 'replaced' | 'offline' | 'revoked' | 'shutdown'): void {
    if (reason === 'replaced') this.fail('conflict', 'replaced by a newer session', reason);
    else if (reason === 'revoked') this.fail('not-authorized', 'the device token was rotated or revoked, or the device removed', reason);
    else if (reason === 'shutdown') this.fail('system-shutdown', undefined, reason);
    else this.closeStream(reason);
  }

  message(data: Buffer, isBinary: boolean): void {
    if (this.isEnded) return;
    if (isBinary) return this.fail('unsupported-encoding', 'XMPP over WebSocket is text frames (RFC 7395 §3.2)');
    if (!this.stanzas.take()) return this.fail('policy-violation', `more than ${this.host.settings.stanzasPerSecond} stanzas a second`);
    let frame: XmlElement;
    try {
      frame = parseXml(data.toString('utf8'));
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      return this.fail('not-well-formed', err.message);
    }
    if (frame.uri === FRAMING && frame.name === 'open') return this.open(frame);
    if (frame.uri === FRAMING && frame.name === 'close') return this.closeStream('client');
    if (!this.opened) return this.fail('not-authorized', 'open the stream first');
    if (this.stream.deviceId) this.host.port.hub.activity(this.stream.deviceId, this);
    this.queue(() => this.stream.handle(frame));
  }

  /** The stream's first `<open/>`, or its restart after SASL success (RFC 7395 §3.4, RFC 6120 §4.3.3). */
  private open(frame: XmlElement): void {
    if (frame.attrs.to !== undefined && frame.attrs.to !== this.host.port.domain) return this.fail('host-unknown', `this relay is ${this.host.port.domain}`);
    if (frame.attrs.version !== '1.0') return this.fail('unsupported-version', "version='1.0'");
    const restart = this.opened;
    this.opened = true;
    // A restart waits for the SASL success before it, like any stanza.
    this.queue(() => {
      this.write(serialize(el('open', { xmlns: FRAMING, from: this.host.port.domain, id: this.host.newStreamId(), version: '1.0', 'xml:lang': 'en' })));
      this.send(restart ? this.stream.restart() : this.stream.features());
    });
  }

  /** Runs `step` after the stanzas before it, unless the session has ended by then. */
  private queue(step: () => void | Promise<void>): void {
    const next: Promise<void> = (this.work ?? Promise.resolve())
      .then(() => (this.isEnded ? undefined : step()))
      .catch(() => this.fail('internal-server-error'))
      .then(() => {
        if (this.work === next) this.work = null;
      });
    this.work = next;
  }

  private closeStream(why: string): void {
    if (this.isEnded) return;
    this.write(serialize(el('close', { xmlns: FRAMING })));
    this.ws.close(1000);
    this.end(why);
  }

  pong(): void {
    this.alive = true;
    if (this.stream.deviceId) this.host.port.hub.activity(this.stream.deviceId, this);
  }

  private write(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  end(why: string): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.stream.end();
    this.host.ended(this, why);
  }
}

/** RFC 7395 §3.3.3: every message names its namespace; the stream's prefixed elements go unprefixed. */
function framed(stanza: XmlElement): XmlElement {
  const name = localName(stanza);
  if (stanza.name.startsWith('stream:')) return { ...stanza, name, attrs: { xmlns: NS.stream, ...stanza.attrs } };
  if (stanza.attrs.xmlns === undefined && (name === 'iq' || name === 'message' || name === 'presence')) return { ...stanza, attrs: { xmlns: NS.client, ...stanza.attrs } };
  return stanza;
}
