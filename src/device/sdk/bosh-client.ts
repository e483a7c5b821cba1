import type { Agent } from 'node:http';
import { httpPost } from './http.js';
import { randomInt } from 'node:crypto';
import { el, elements, localName, parseXml, serialize, text, child, type XmlElement } from '../../protocol/xmpp/xml.js';
import { NS } from '../../protocol/xmpp/namespaces.js';

export interface BoshClientOptions {
  /** The relay's /http-bind URL. */
  url: string;
  /** XMPP domain of the relay. */
  domain: string;
  agent?: Agent;
  /** Source address (load tests spread devices over 127.0.0.x). */
  localAddress?: string;
  wait?: number;
  /** A stanza from the relay (pushed IQs). */
  onStanza: (stanza: XmlElement) => void;
  /** The session is over: terminated by the relay, or lost on the network. */
  onEnd: (condition: string | null) => void;
}

const RETRIES = 3;

/**
 * The device side of XEP-0124/XEP-0206: opens a session, authenticates with SASL PLAIN, binds,
 * and then always keeps one request held at the relay (the seed's "XMPP connection", S236).
 * Stanzas to send ride on a second request, which makes the relay answer the held one. A request
 * that fails on the network is retransmitted with the same rid and the same body (§14.3).
 */
export class BoshClient {
  sid: string | null = null;
  jid: string | null = null;
  private rid = randomInt(1, 2 ** 32) * 1024;
  private wait = 60;
  private requests = 2;
  private inFlight = 0;
  private outbox: XmlElement[] = [];
  private running = false;
  private over = false;
  /** Stanzas that arrived during the handshake beside the answers it waited for (e.g. a queued push). */
  private early: XmlElement[] = [];

  constructor(private readonly o: BoshClientOptions) {}

  get ended(): boolean {
    return this.over;
  }

  /** Session creation, SASL PLAIN, restart, bind. Resolves with the full JID. */
  async open(deviceId: string, token: string, resource = 'relay'): Promise<string> {
    const created = await this.post(
      el('body', { xmlns: NS.httpbind, 'xmlns:xmpp': NS.xbosh, to: this.o.domain, wait: this.o.wait ?? 60, hold: 1, ver: '1.11', 'xml:lang': 'en', 'xmpp:version': '1.0', rid: this.rid++ }),
    );
    if (created.attrs.type === 'terminate' || !created.attrs.sid) throw new Error(`session refused: ${created.attrs.condition ?? 'no sid'}`);
    this.sid = created.attrs.sid;
    this.wait = Number(created.attrs.wait ?? 60);
    this.requests = Number(created.attrs.requests ?? 2);
    const plain = Buffer.from(`\0${deviceId}\0${token}`).toString('base64');
    const auth = await this.exchange([el('auth', { xmlns: NS.sasl, mechanism: 'PLAIN' }, plain)], (e) => ['success', 'failure'].includes(localName(e)));
    if (localName(auth) !== 'success') throw new Error(`authentication failed: ${elements(auth).map(localName).join(',') || localName(auth)}`);
    await this.exchange([], (e) => localName(e) === 'features', { 'xmlns:xmpp': NS.xbosh, 'xmpp:restart': 'true', to: this.o.domain });
    const bound = await this.exchange([el('iq', { xmlns: NS.client, type: 'set', id: 'bind' }, el('bind', { xmlns: NS.bind }, el('resource', {}, resource)))], (e) => e.attrs.id === 'bind');
    const jid = child(bound, 'bind') && child(child(bound, 'bind')!, 'jid');
    if (!jid) throw new Error('resource binding failed');
    this.jid = text(jid);
    // The relay marks RFC 3921 session establishment <optional/>, so the device skips that round trip.
    this.running = true;
    for (const s of this.early.splice(0)) this.o.onStanza(s);
    this.pump();
    return this.jid;
  }

  send(stanza: XmlElement): void {
    if (this.over) return;
    this.outbox.push(stanza);
    this.pump();
  }

  /** A fresh request on the same session: the seed's new XMPP connection (S244 → S236). */
  reconnect(): void {
    if (this.running && !this.over && this.inFlight < this.requests) void this.cycle([]);
  }

  /** Ends the session (XEP-0124 §13). */
  async terminate(): Promise<void> {
    if (this.over || !this.sid) return;
    this.running = false;
    this.over = true;
    await this.post(this.body([], { type: 'terminate' })).catch(() => undefined);
  }

  /** Forgets the session without a word to the relay, as a device losing power does. */
  abandon(): void {
    this.running = false;
    this.over = true;
  }

  /** Keeps exactly one request held; sends queued stanzas on a second one. */
  private pump(): void {
    if (!this.running || this.over) return;
    if (this.inFlight === 0 || (this.outbox.length > 0 && this.inFlight < this.requests)) {
      const payloads = this.outbox;
      this.outbox = [];
      void this.cycle(payloads);
    }
  }

  private async cycle(payloads: XmlElement[]): Promise<void> {
    this.inFlight++;
    let answer: XmlElement;
    try {
      answer = await this.post(this.body(payloads));
    } catch {
      this.inFlight--;
      return this.finish(null);
    }
    this.inFlight--;
    if (answer.attrs.type === 'terminate') return this.finish(answer.attrs.condition ?? null);
    for (const s of elements(answer)) this.o.onStanza(s);
    this.pump();
  }

  /** During the handshake: one request, polling until the payload it waits for comes back. */
  private async exchange(payloads: XmlElement[], wanted: (e: XmlElement) => boolean, attrs: Record<string, string> = {}): Promise<XmlElement> {
    let answer = await this.post(this.body(payloads, attrs));
    for (let polls = 0; ; polls++) {
      if (answer.attrs.type === 'terminate') throw new Error(`session terminated: ${answer.attrs.condition ?? ''}`);
      let found: XmlElement | undefined;
      for (const e of elements(answer)) {
        if (!found && wanted(e)) found = e;
        else this.early.push(e);
      }
      if (found) return found;
      if (polls >= 3) throw new Error('no answer from the relay');
      answer = await this.post(this.body([]));
    }
  }

  private body(payloads: XmlElement[], attrs: Record<string, string> = {}): XmlElement {
    return el('body', { xmlns: NS.httpbind, rid: this.rid++, sid: this.sid!, ...attrs }, ...payloads);
  }

  private finish(condition: string | null): void {
    if (this.over) return;
    this.over = true;
    this.running = false;
    this.o.onEnd(condition);
  }

  /** POSTs one body; on a network error retransmits the identical body (same rid) with back-off. */
  private async post(body: XmlElement): Promise<XmlElement> {
    const payload = serialize(body);
    for (let attempt = 0; ; attempt++) {
      try {
        return parseXml(await this.http(payload));
      } catch (err) {
        if (attempt >= RETRIES || this.over || err instanceof RelayBusy) throw err;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  private async http(payload: string): Promise<string> {
    const r = await httpPost(this.o.url, payload, { 'content-type': 'text/xml; charset=utf-8' }, {
      agent: this.o.agent,
      localAddress: this.o.localAddress,
      timeoutMs: (this.wait + 15) * 1000,
    });
    if (r.status === 503) throw new RelayBusy(r.retryAfter ?? 1);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return r.body;
  }
}

/** The relay admits new sessions at a steady rate and this one came too soon (a reconnect storm): come back after `retryAfterMs`, jittered. */
export class RelayBusy extends Error {
  readonly retryAfterMs: number;
  constructor(retryAfterSeconds: number) {
    super(`the relay is busy admitting sessions; retry after ${retryAfterSeconds} s`);
    this.retryAfterMs = retryAfterSeconds * 1000;
  }
}

/** How long a device waits before it tries again: doubling from `firstMs` up to `maxMs`, at least what the relay asked, jittered ±50 %. */
export class Backoff {
  private currentMs: number;
  constructor(
    private readonly firstMs = 500,
    private readonly maxMs = 60_000,
  ) {
    this.currentMs = firstMs;
  }

  next(err?: unknown): number {
    const base = Math.max(this.currentMs, err instanceof RelayBusy ? err.retryAfterMs : 0);
    this.currentMs = Math.min(this.currentMs * 2, this.maxMs);
    return base * (0.5 + Math.random());
  }

  reset(): void {
    this.currentMs = this.firstMs;
  }
}
