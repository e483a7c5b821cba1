/** A raw XMPP-over-WebSocket peer (RFC 7395) for conformance tests: frames written by hand, read as text. */
import { WebSocket } from 'ws';
import { NS } from '../../src/protocol/xmpp/namespaces.js';

export const FRAMING = NS.framing;

export class RawWs {
  private readonly frames: string[] = [];
  private waiting: ((f: string) => void) | null = null;
  readonly closed: Promise<{ code: number }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = String(data);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(f);
      } else this.frames.push(f);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  static connect(relayUrl: string, protocols: string[] = ['xmpp'], path = '/xmpp-websocket'): Promise<RawWs> {
    const ws = new WebSocket(relayUrl.replace(/^http/, 'ws') + path, protocols);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawWs(ws)));
      ws.once('unexpected-response', (_, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers })));
      ws.once('error', reject);
    });
  }

  send(frame: string): void {
    this.ws.send(frame);
  }

  /** The next frame, within `ms`. */
  next(ms = 5000): Promise<string> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no frame in time')), ms);
      this.waiting = (f) => {
        clearTimeout(t);
        resolve(f);
      };
    });
  }

  /** Frames until one matches. */
  async until(re: RegExp, ms = 5000): Promise<string> {
    for (;;) {
      const f = await this.next(ms);
      if (re.test(f)) return f;
    }
  }

  open(domain = 'fleetrelay.local'): void {
    this.send(`<open xmlns='${FRAMING}' to='${domain}' version='1.0'/>`);
  }

  /** The whole handshake: open, SASL PLAIN, restart, bind. Returns the full JID. */
  async login(deviceId: string, token: string, resource = 'ws'): Promise<string> {
    this.open();
    await this.until(/<features/);
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${deviceId}\0${token}`).toString('base64')}</auth>`);
    const success = await this.next();
    if (!success.includes('<success')) throw new Error(`auth failed: ${success}`);
    this.open();
    await this.until(/<features/);
    this.send(`<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const bound = /<jid>([^<]+)<\/jid>/.exec(await this.until(/id='bind1'/));
    if (!bound) throw new Error('bind failed');
    return bound[1]!;
  }

  close(): void {
    this.ws.close();
  }
}
