import type { DeviceMessage } from '../../domain/messages.js';
import type { DeviceLink } from '../../sessions/hub.js';
import type { WheelEntry } from '../../sessions/timer-wheel.js';
import { encodeMessage } from '../../protocol/xmpp/device-messages.js';
import { XmppStream, type StreamOutput, type StreamPort } from '../xmpp/stream.js';
import { el, elements, serialize, type XmlElement } from '../../protocol/xmpp/xml.js';
import { NS } from '../../protocol/xmpp/namespaces.js';
import type { BoshSettings } from './settings.js';

/** Where an answer goes: the HTTP response, or the node a request was forwarded from. */
export interface Reply {
  once(event: 'close', fn: () => void): unknown;
}

/** What a session needs from its connection manager. */
export interface SessionHost {
  settings: BoshSettings;
  port: StreamPort;
  schedule(entry: WheelEntry, delayMs: number): void;
  cancel(entry: WheelEntry): void;
  now(): number;
  /** Writes an HTTP answer. */
  respond(res: Reply, body: string, status?: number, contentType?: string): void;
  /** The session's device authenticated (SASL success). */
  authenticated(session: BoshSession): void;
  /** The session ended, and why: a BOSH condition, 'inactivity', 'client' (it said terminate), 'offline', or a stream error's condition. */
  ended(session: BoshSession, why: string): void;
}

interface Held {
  rid: number;
  res: Reply;
}

interface Deferred {
  rid: number;
  body: XmlElement;
  res: Reply;
}

const EMPTY = `<body xmlns='${NS.httpbind}'/>`;
const RECOVERABLE = `<body xmlns='${NS.httpbind}' type='error'/>`;
/** In the replay buffer in place of an answer: the request was held, and its connection closed before it was answered. */
const UNANSWERED = '';

/** HTTP status for legacy clients (no `ver`, XEP-0124 §17.1). */
const LEGACY_STATUS: Record<string, number> = { 'bad-request': 400, 'policy-violation': 403, 'item-not-found': 404 };

export function terminateBody(condition?: string, payload = ''): string {
  const cond = condition ? ` condition='${condition}'` : '';
  const streamNs = payload ? ` xmlns:stream='${NS.stream}'` : '';
  return payload ? `<body xmlns='${NS.httpbind}'${streamNs} type='terminate'${cond}>${payload}</body>` : `<body xmlns='${NS.httpbind}' type='terminate'${cond}/>`;
}

/**
 * One BOSH session (XEP-0124, XEP-0206): the rid window, held requests, the outgoing queue,
 * the replay buffer, and the XMPP stream it carries. Deadlines (wait, inactivity, pause) are
 * one entry on the shared timer wheel. Kept small: tens of thousands of these stay resident.
 */
export class BoshSession implements DeviceLink, WheelEntry, StreamOutput {
  tick = -1;
  readonly stream: XmppStream;
  private lastRid: number;
  private held: Held[] = [];
  private deferred: Deferred[] = [];
  private queue: string[] = [];
  /** The last `requests` answers, for retransmissions (§14.3): [rid, body, rid, body, …]. */
  private replay: (number | string)[] = [];
  private inactivityMs: number;
  private lastEmptyPollAt = 0;
  private lastAnswerHadPayload = true;
  private work: Promise<void> = Promise.resolve();
  /** While a request's payloads are handled, what they cause is collected into one answer. */
  private busy = false;
  private isEnded = false;

  constructor(
    private readonly host: SessionHost,
    readonly sid: string,
    firstRid: number,
    readonly wait: number,
    readonly hold: number,
    readonly legacy: boolean,
    readonly contentType: string,
    clientIp: string,
  ) {
    this.lastRid = firstRid;
    this.inactivityMs = host.settings.inactivity * 1000;
    this.stream = new XmppStream(host.port, this, this, clientIp);
  }

  get requests(): number {
    return this.hold + 1;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** The session creation response (§7.2, XEP-0206 §4), answered at once with the stream features. */
  creationResponse(ver: string): string {
    const s = this.host.settings;
    const attrs = {
      xmlns: NS.httpbind,
      'xmlns:xmpp': NS.xbosh,
      'xmlns:stream': NS.stream,
      sid: this.sid,
      wait: this.wait,
      hold: this.hold,
      requests: this.requests,
      inactivity: s.inactivity,
      polling: s.polling,
      maxpause: s.maxPause,
      ver,
      from: this.host.port.domain,
      'xmpp:version': '1.0',
      'xmpp:restartlogic': 'true',
    };
    const body = serialize(el('body', attrs, this.stream.features()));
    this.remember(this.lastRid, body);
    this.host.schedule(this, this.inactivityMs);
    return body;
  }

  /** A request on this session, in whatever order the network delivered it (§14.2). */
  receive(rid: number, body: XmlElement, res: Reply): void {
    if (this.isEnded) return this.host.respond(res, terminateBody('item-not-found'), this.status('item-not-found'));
    if (rid <= this.lastRid) return this.retransmission(rid, res);
    if (rid > this.lastRid + this.requests) return this.terminate('item-not-found', res);
    const waiting = this.deferred.find((d) => d.rid === rid);
    if (waiting) {
      this.host.respond(waiting.res, RECOVERABLE);
      waiting.res = res;
      return;
    }
    // §11: more simultaneous requests than `requests` (one more for pause/terminate) is overactivity.
    const exempt = body.attrs.type === 'terminate' || body.attrs.pause !== undefined;
    if (this.held.length + this.deferred.length + 1 > this.requests + (exempt ? 1 : 0)) return this.terminate('policy-violation', res);
    this.deferred.push({ rid, body, res });
    this.deferred.sort((a, b) => a.rid - b.rid);
    // Requests are processed strictly in rid order, one at a time (their payloads may wait on auth).
    this.work = this.work.then(() => this.drain()).catch(() => this.terminate('internal-server-error'));
  }

  get transport(): 'bosh' {
    return 'bosh';
  }

  /** DeviceLink: a service's message for the bound device; false when the queue is full. */
  deliver(msg: DeviceMessage): boolean {
    const jid = this.stream.jid;
    if (this.isEnded || !jid || this.queue.length >= this.host.settings.maxQueuedStanzas) return false;
    return this.send(encodeMessage(msg, jid, this.host.port.domain));
  }

  /** StreamOutput: a stanza for the client, sent on the held request or with the next one. */
  send(stanza: XmlElement): boolean {
    if (this.isEnded) return false;
    this.queue.push(serialize(stanza));
    if (this.held.length > 0 && !this.busy) this.answerOldest();
    return true;
  }

  /** DeviceLink: the hub ends the session. */
  close(reason: 'replaced' | 'offline' | 'revoked' | 'shutdown'): void {
    if (reason === 'replaced') this.fail('conflict', 'replaced by a newer session', reason);
    else if (reason === 'revoked') this.fail('not-authorized', 'the device token was rotated or revoked, or the device removed', reason);
    else if (reason === 'shutdown') this.terminate('system-shutdown');
    else this.terminate(undefined, undefined, '', 'offline');
  }

  /** StreamOutput: the device proved who it is. */
  authenticated(): void {
    this.host.authenticated(this);
  }

  /** StreamOutput: a stream error ends the session (XEP-0206 §6 remote-stream-error). */
  fail(condition: string, detail?: string, why = condition): void {
    const textEl = detail ? el('text', { xmlns: NS.streams }, detail) : null;
    const streamError = serialize(el('stream:error', {}, el(condition, { xmlns: NS.streams }), ...(textEl ? [textEl] : [])));
    this.terminate('remote-stream-error', undefined, streamError, why);
  }

  /** WheelEntry: the held request's wait ran out, or the session's inactivity did. */
  fire(): void {
    if (this.isEnded) return;
    if (this.held.length > 0) this.answerOldest();
    else this.end('inactivity');
  }

  /** Ends the session: held requests get `terminate` (with a condition when it is an error). */
  terminate(condition?: string, res?: Reply, payload = '', why = condition ?? 'client'): void {
    if (this.isEnded) {
      if (res) this.host.respond(res, terminateBody(condition), this.status(condition));
      return;
    }
    const body = terminateBody(condition, this.queue.join('') + payload);
    this.queue = [];
    const status = this.status(condition);
    const [oldest, ...rest] = this.held;
    this.held = [];
    if (oldest) this.host.respond(oldest.res, body, status);
    for (const h of rest) this.host.respond(h.res, EMPTY);
    for (const d of this.deferred) this.host.respond(d.res, terminateBody(condition), status);
    this.deferred = [];
    if (res) this.host.respond(res, body, status);
    this.end(why);
  }

  private async drain(): Promise<void> {
    while (!this.isEnded && this.deferred[0]?.rid === this.lastRid + 1) {
      const next = this.deferred.shift()!;
      await this.process(next.rid, next.body, next.res);
    }
  }

  private async process(rid: number, body: XmlElement, res: Reply): Promise<void> {
    this.lastRid = rid;
    if (this.stream.deviceId) this.host.port.hub.activity(this.stream.deviceId, this);
    const payloads = elements(body);
    if (body.attrs.type === 'terminate') {
      for (const p of payloads) await this.stream.handle(p);
      return this.terminate(undefined, res);
    }
    if (body.attrs.pause !== undefined) return this.pause(Number(body.attrs.pause), rid, res);
    if (this.hold === 0 && payloads.length === 0) {
      // §12: a polling session may not poll empty-handed faster than `polling`.
      const now = this.host.now();
      const tooSoon = now - this.lastEmptyPollAt < this.host.settings.polling * 1000;
      this.lastEmptyPollAt = now;
      if (tooSoon && !this.lastAnswerHadPayload && this.queue.length === 0) return this.terminate('policy-violation', res);
    }
    this.inactivityMs = this.host.settings.inactivity * 1000;
    // Held from here on, so anything the payloads cause (even a stream error) answers it in rid order.
    this.held.push({ rid, res });
    res.once('close', () => this.dropped(res));
    const restart = body.attrs['xmpp:restart'];
    if (restart === 'true' || restart === '1') this.queue.push(serialize(this.stream.restart()));
    else {
      this.busy = true;
      try {
        for (const p of payloads) if (!this.isEnded) await this.stream.handle(p);
      } finally {
        this.busy = false;
      }
    }
    if (this.isEnded) return;
    while (this.held.length > this.hold || (this.queue.length > 0 && this.held.length > 0)) this.answerOldest();
    this.rearm();
  }

  /** §10: answer everything, payload-free, and allow `pause` seconds of silence. */
  private pause(seconds: number, rid: number, res: Reply): void {
    if (!(Number.isInteger(seconds) && seconds > 0 && seconds <= this.host.settings.maxPause)) return this.terminate('policy-violation', res);
    while (this.held.length > 0) this.answerOldest(true);
    this.remember(rid, EMPTY);
    this.host.respond(res, EMPTY);
    this.inactivityMs = seconds * 1000;
    this.rearm();
  }

  /**
   * §14.3: a repeated rid gets the buffered copy, a held rid hands over to the new connection, and
   * one whose connection broke while it was held (a NAT or network drop) is held again: it was
   * never answered, so the client rightly sends it once more.
   */
  private retransmission(rid: number, res: Reply): void {
    for (let i = 0; i < this.replay.length; i += 2) {
      if (this.replay[i] !== rid) continue;
      const body = this.replay[i + 1] as string;
      if (body !== UNANSWERED) return this.host.respond(res, body, 200);
      this.replay.splice(i, 2);
      return this.holdAgain(rid, res);
    }
    const held = this.held.find((h) => h.rid === rid);
    if (held) {
      this.host.respond(held.res, RECOVERABLE);
      held.res = res;
      res.once('close', () => this.dropped(res));
      return;
    }
    this.terminate('item-not-found', res);
  }

  private answerOldest(emptyOnly = false): void {
    const h = this.held.shift();
    if (!h) return;
    let body = EMPTY;
    if (!emptyOnly && this.queue.length > 0) {
      body = `<body xmlns='${NS.httpbind}' xmlns:stream='${NS.stream}'>${this.queue.join('')}</body>`;
      this.queue = [];
    }
    this.lastAnswerHadPayload = body !== EMPTY;
    this.remember(h.rid, body);
    this.host.respond(h.res, body, 200, this.contentType);
    this.rearm();
  }

  private remember(rid: number, body: string): void {
    this.replay.push(rid, body);
    if (this.replay.length > this.requests * 2) this.replay.splice(0, 2);
  }

  /** The client gave up on a held request (its socket closed); the session lives on until inactivity. */
  private dropped(res: Reply): void {
    const i = this.held.findIndex((h) => h.res === res);
    if (i < 0) return;
    const [h] = this.held.splice(i, 1);
    this.remember(h!.rid, UNANSWERED);
    this.rearm();
  }

  private holdAgain(rid: number, res: Reply): void {
    this.held.push({ rid, res });
    this.held.sort((a, b) => a.rid - b.rid);
    res.once('close', () => this.dropped(res));
    while (this.held.length > this.hold || (this.queue.length > 0 && this.held.length > 0)) this.answerOldest();
    this.rearm();
  }

  private rearm(): void {
    if (this.isEnded) return;
    this.host.schedule(this, this.held.length > 0 ? this.wait * 1000 : this.inactivityMs);
  }

  private status(condition?: string): number {
    return this.legacy && condition ? (LEGACY_STATUS[condition] ?? 200) : 200;
  }

  private end(why: string): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.host.cancel(this);
    this.stream.end();
    this.host.ended(this, why);
  }
}
