import { WebSocket } from 'ws';
import { NS } from '../../protocol/xmpp/namespaces.js';
import { child, el, elements, localName, parseXml, serialize, text, XmlError, type XmlElement } from '../../protocol/xmpp/xml.js';
import { RelayBusy } from './bosh-client.js';

const FRAMING = NS.framing;
/** The whole handshake (connect, SASL, restart, bind) must finish within this. */
const OPEN_MS = 30_000;

export interface WsClientOptions {
  /** The relay's /xmpp-websocket URL (ws: or wss:). */
  url: string;
  domain: string;
  /** Source address (load tests spread devices over 127.0.0.x). */
  localAddress?: string;
  /** A stanza from the relay (pushed IQs). */
  onStanza: (stanza: XmlElement) => void;
  /** The session is over: ended by the relay, or lost on the network. */
  onEnd: (condition: string | null) => void;
}

/**
 * The device side of XMPP over WebSocket (RFC 7395): one connection carries the stream both ways,
 * so nothing is held or polled; the relay's pings (answered by the WebSocket layer) keep it alive.
 */
export class WsClient {
  jid: string | null = null;
  /** BOSH names sessions; a WebSocket session is its connection. */
  readonly sid = null;
  private ws: WebSocket | null = null;
  private over = false;
  private waiting: { want: (e: XmlElement) => boolean; resolve: (e: XmlElement) => void; reject: (err: Error) => void } | null = null;
  private early: XmlElement[] = [];

  constructor(private readonly o: WsClientOptions) {}

  get ended(): boolean {
    return this.over;
  }

  /** Connect, SASL PLAIN, restart, bind. Resolves with the full JID. */
  async open(deviceId: string, token: string, resource = 'relay'): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no session within 30 s')), OPEN_MS);
    });
    try {
      return await Promise.race([this.handshake(deviceId, token, resource), late]);
    } catch (err) {
      this.abandon();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  send(stanza: XmlElement): void {
    if (this.over || this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(serialize(stanza.attrs.xmlns ? stanza : { ...stanza, attrs: { xmlns: NS.client, ...stanza.attrs } }));
  }

  /** Nothing to do: the one connection is the session. */
  reconnect(): void {}

  /** Closes the stream (RFC 7395 §3.6) and the connection. */
  async terminate(): Promise<void> {
    if (this.over) return;
    this.over = true;
    const ws = this.ws;
    if (ws?.readyState !== WebSocket.OPEN) return ws?.terminate();
    ws.send(serialize(el('close', { xmlns: FRAMING })));
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (ws.terminate(), resolve()), 2_000);
      ws.once('close', () => (clearTimeout(t), resolve()));
    });
  }

  /** Drops the connection without a word, as a device losing power does. */
  abandon(): void {
    this.over = true;
    this.ws?.terminate();
  }

  private async handshake(deviceId: string, token: string, resource: string): Promise<string> {
    await this.connect();
    await this.openStream();
    const plain = Buffer.from(`\0${deviceId}\0${token}`).toString('base64');
    this.send(el('auth', { xmlns: NS.sasl, mechanism: 'PLAIN' }, plain));
    const auth = await this.next((e) => e.name === 'success' || e.name === 'failure');
    if (auth.name !== 'success') throw new Error(`authentication failed: ${elements(auth).map(localName).join(',')}`);
    await this.openStream();
    this.send(el('iq', { type: 'set', id: 'bind' }, el('bind', { xmlns: NS.bind }, el('resource', {}, resource))));
    const bound = await this.next((e) => e.attrs.id === 'bind');
    const jid = child(bound, 'bind') && child(child(bound, 'bind')!, 'jid');
    if (!jid) throw new Error('resource binding failed');
    this.jid = text(jid);
    for (const s of this.early.splice(0)) this.o.onStanza(s);
    return this.jid;
  }

  private connect(): Promise<void> {
    const ws = new WebSocket(this.o.url, 'xmpp', { localAddress: this.o.localAddress, perMessageDeflate: false, handshakeTimeout: OPEN_MS });
    this.ws = ws;
    ws.on('message', (data) => this.frame(String(data)));
    ws.on('close', () => this.finish(null));
    ws.on('error', () => undefined); // 'close' follows
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_, res) => {
        const retryAfter = Number(res.headers['retry-after']);
        reject(res.statusCode === 503 ? new RelayBusy(retryAfter > 0 ? retryAfter : 1) : new Error(`WebSocket refused: HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  private async openStream(): Promise<void> {
    this.ws!.send(serialize(el('open', { xmlns: FRAMING, to: this.o.domain, version: '1.0' })));
    await this.next((e) => localName(e) === 'features' && e.uri === NS.stream);
  }

  /** The next element the handshake waits for; others (a push that came early) wait for the end of it. */
  private next(want: (e: XmlElement) => boolean): Promise<XmlElement> {
    return new Promise((resolve, reject) => {
      if (this.over) return reject(new Error('the relay closed the stream'));
      this.waiting = { want, resolve, reject };
    });
  }

  private frame(textFrame: string): void {
    let e: XmlElement;
    try {
      e = parseXml(textFrame);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      return this.abandon();
    }
    if (e.uri === FRAMING && e.name === 'close') return this.finish(null);
    if (localName(e) === 'error' && e.uri === NS.stream) return this.finish(elements(e).map(localName)[0] ?? null);
    if (e.uri === FRAMING && e.name === 'open') return;
    if (this.waiting?.want(e)) {
      const w = this.waiting;
      this.waiting = null;
      return w.resolve(e);
    }
    if (this.jid) this.o.onStanza(e);
    else this.early.push(e);
  }

  private finish(condition: string | null): void {
    const wasOver = this.over;
    this.over = true;
    this.ws?.close();
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(new Error(`session terminated: ${condition ?? 'closed'}`));
    if (!wasOver && this.jid) this.o.onEnd(condition);
  }
}
