/** A raw BOSH peer for conformance tests: bodies are written by hand, answers read as text. */
import { request } from 'node:http';
import { parseXml, type XmlElement } from '../../src/protocol/xmpp/xml.js';

export const HB = 'http://jabber.org/protocol/httpbind';

export interface BoshAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: XmlElement;
}

export function post(url: string, payload: string, headers: Record<string, string> = {}): Promise<BoshAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/http-bind`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers },
      timeout: 90_000,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: XmlElement;
        try {
          body = parseXml(text);
        } catch {
          body = { name: '(unparsable)', uri: '', attrs: {}, children: [text] };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A session driven by hand: rid bookkeeping and the handshake. */
export class RawSession {
  sid = '';
  rid: number;
  creation!: BoshAnswer;

  constructor(
    readonly url: string,
    readonly domain = 'fleetrelay.local',
    firstRid = 2 ** 40 + Math.floor(Math.random() * 1e6),
  ) {
    this.rid = firstRid;
  }

  async create(attrs = `wait='5' hold='1' ver='1.6'`): Promise<BoshAnswer> {
    this.creation = await post(this.url, `<body xmlns='${HB}' xmlns:xmpp='urn:xmpp:xbosh' to='${this.domain}' xmpp:version='1.0' rid='${this.rid++}' ${attrs}/>`);
    this.sid = this.creation.body.attrs.sid ?? '';
    return this.creation;
  }

  /** Sends the next request; `rid` overrides (for out-of-order and replay tests). */
  send(inner = '', o: { rid?: number; attrs?: string } = {}): Promise<BoshAnswer> {
    const rid = o.rid ?? this.rid++;
    return post(this.url, `<body xmlns='${HB}' sid='${this.sid}' rid='${rid}' ${o.attrs ?? ''}>${inner}</body>`);
  }

  async login(deviceId: string, token: string): Promise<string> {
    await this.create();
    const plain = Buffer.from(`\0${deviceId}\0${token}`).toString('base64');
    const auth = await this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`);
    if (!auth.text.includes('<success')) throw new Error(`auth failed: ${auth.text}`);
    await this.send('', { attrs: `xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true' to='${this.domain}'` });
    const bound = await this.send(`<iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>t</resource></bind></iq>`);
    const m = /<jid>([^<]+)<\/jid>/.exec(bound.text);
    if (!m) throw new Error(`bind failed: ${bound.text}`);
    return m[1]!;
  }
}
