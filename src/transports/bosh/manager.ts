import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../domain/clock.js';
import { base32 } from '../../domain/identifiers.js';
import type { TimerWheel, WheelEntry } from '../../sessions/timer-wheel.js';
import type { Random } from '../../services/kernel/secrets.js';
import type { StreamPort } from '../xmpp/stream.js';
import { parseXml, XmlError, type XmlElement } from '../../protocol/xmpp/xml.js';
import { BoshSession, terminateBody, type Reply, type SessionHost } from './session.js';
import { NodeUnreachable, type Bus } from '../../bus/bus.js';
import type { Admission } from '../../services/kernel/rate-limit.js';
import type { SessionCapacity } from '../capacity.js';
import { NS } from '../../protocol/xmpp/namespaces.js';
import { MAX_RID, type BoshSettings } from './settings.js';

const DEFAULT_CONTENT_TYPE = 'text/xml; charset=utf-8';
/** A request forwarded from another node may be held up to the longest wait; this much more covers the bus. */
const FORWARD_MARGIN_MS = 5_000;

interface Answer {
  body: string;
  status: number;
  contentType: string;
}

/** A request another node forwarded here: its answer goes back over the bus. */
class ForwardedReply implements Reply {
  done = false;
  constructor(private readonly send: (a: Answer) => void) {}
  once(): this {
    return this; // the client's connection is on the other node; its request ends at `wait` at the latest
  }
  answer(a: Answer): void {
    if (this.done) return;
    this.done = true;
    this.send(a);
  }
}

/** Where a request came from: the client's address, and whether another node forwarded it here. */
interface Origin {
  address: string;
  forwarded: boolean;
}

const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST, OPTIONS' };

/**
 * The BOSH connection manager at /http-bind: reads and parses bodies, creates sessions and
 * routes requests to them. It runs on the bare node:http request, beside (not inside) the
 * web framework, so a held request costs no more than node:http itself. A session's id names
 * the node that holds it: a request for a session held by another node (a load balancer without
 * sticky routing, a second connection, a reconnect) is forwarded there and its answer relayed.
 */
export class BoshManager implements SessionHost {
  private readonly sessions = new Map<string, BoshSession>();
  /** Sessions not authenticated yet, oldest first, with what ends them at their deadline. */
  private readonly anonymous = new Map<BoshSession, { address: string; stopDeadline: () => void }>();
  private readonly anonymousByAddress = new Map<string, number>();
  /** Sockets already given TCP keep-alive: a client's keep-alive connection carries many requests. */
  private readonly keptAlive = new WeakSet<Socket>();
  private refusedAtCapacity = 0;
  /** Sessions ended since start, by why (a small set: the relay's own conditions). */
  readonly endedBy = new Map<string, number>();

  constructor(
    readonly settings: BoshSettings,
    readonly port: StreamPort,
    private readonly wheel: TimerWheel,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly log: Logger,
    private readonly bus: Bus,
    private readonly admission: Admission,
    private readonly capacity: SessionCapacity,
    /** A node of the cluster with room for a new session when this one is full (null: none). */
    private readonly roomElsewhere: () => string | null = () => null,
  ) {
    capacity.count(() => this.sessions.size);
    bus.serve('bosh', (b) => {
      const { text, address } = b as { text: string; address?: string };
      return new Promise<Answer>((resolve) => this.dispatch(text, new ForwardedReply(resolve), { address: address ?? '', forwarded: true }));
    });
    bus.serve('bosh.owner', (sid) => this.owner(sid as string));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** One request at /http-bind; `address` is the client's (its socket's, or the proxy's X-Forwarded-For). */
  handle(req: IncomingMessage, res: ServerResponse, address = req.socket.remoteAddress ?? ''): void {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, 'access-control-max-age': '86400', 'content-length': 0 });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      const text = 'FleetRelay BOSH endpoint (XEP-0124/XEP-0206): POST a <body/>.\n';
      res.writeHead(405, { allow: 'POST, OPTIONS', 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const socket = req.socket;
    if (!this.keptAlive.has(socket)) {
      socket.setKeepAlive(true, 30_000);
      this.keptAlive.add(socket);
    }
    // Content-Type is ignored on purpose (XEP-0124 §5): constrained clients send what they can.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.settings.maxBodyBytes) return this.tooLarge(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.settings.maxBodyBytes) return this.tooLarge(req, res);
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > this.settings.maxBodyBytes) return;
      const text = Buffer.concat(chunks).toString('utf8');
      // A held request lives for up to `wait` seconds: its listener must not keep the socket's read
      // buffer (the chunk is a slice of it, headers and all) alive that long.
      chunks.length = 0;
      this.dispatch(text, res, { address, forwarded: false });
    });
    req.on('error', () => res.destroy());
  }

  /** The device bound on a session, if any: how a survival notification learns whether the relay still knows the session (seed 000 S365). */
  owner(sid: string): string | null {
    const s = this.sessions.get(sid);
    return s && s.stream.bound ? s.stream.deviceId : null;
  }

  /** The same, for a session held by any node. */
  async ownerAnywhere(sid: string): Promise<string | null> {
    const node = nodeOf(sid);
    if (node === null || node === this.bus.node) return this.owner(sid);
    try {
      return (await this.bus.request(node, 'bosh.owner', sid, FORWARD_MARGIN_MS)) as string | null;
    } catch {
      return null;
    }
  }

  /** Ends every session (relay shutdown): held requests get `system-shutdown`. */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.terminate('system-shutdown');
  }

  // SessionHost

  schedule(entry: WheelEntry, delayMs: number): void {
    this.wheel.schedule(entry, delayMs);
  }

  cancel(entry: WheelEntry): void {
    this.wheel.cancel(entry);
  }

  now(): number {
    return this.clock.now();
  }

  respond(res: Reply, body: string, status = 200, contentType = DEFAULT_CONTENT_TYPE): void {
    if (res instanceof ForwardedReply) return res.answer({ body, status, contentType });
    if (!(res instanceof ServerResponse) || res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...CORS });
    res.end(body);
  }

  authenticated(session: BoshSession): void {
    const a = this.anonymous.get(session);
    if (!a) return;
    this.anonymous.delete(session);
    a.stopDeadline();
    const left = (this.anonymousByAddress.get(a.address) ?? 1) - 1;
    if (left > 0) this.anonymousByAddress.set(a.address, left);
    else this.anonymousByAddress.delete(a.address);
  }

  ended(session: BoshSession, why: string): void {
    this.endedBy.set(why, (this.endedBy.get(why) ?? 0) + 1);
    this.sessions.delete(session.sid);
    this.authenticated(session); // no longer waiting, either way
  }

  /** Ends the session that has waited longest to authenticate: room for one that will. */
  private evictOldestAnonymous(): boolean {
    const oldest = this.anonymous.keys().next().value;
    if (!oldest) return false;
    oldest.terminate('policy-violation');
    return true;
  }

  /** New sessions come faster than this node admits them (a reconnect storm): 503 with when to come back. */
  private busy(res: Reply, retryAfter: number): void {
    if (!(res instanceof ServerResponse) || res.headersSent) return;
    res.setHeader('retry-after', String(retryAfter));
    this.respond(res, terminateBody('remote-connection-failed'), 503);
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    if (res.headersSent) return;
    this.log.warn({ remoteAddress: req.socket.remoteAddress }, 'BOSH request body too large');
    // Answer, stop buffering what is left of the body, and close the connection once answered.
    req.removeAllListeners('data');
    req.resume();
    res.setHeader('connection', 'close');
    res.once('finish', () => req.destroy());
    this.respond(res, terminateBody('policy-violation'));
  }

  private dispatch(text: string, res: Reply, origin: Origin): void {
    let body: XmlElement;
    try {
      body = parseXml(text);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      return this.respond(res, terminateBody('bad-request'));
    }
    if (body.name !== 'body' || body.uri !== NS.httpbind || body.children.some((c) => typeof c === 'string' && c.trim() !== ''))
      return this.respond(res, terminateBody('bad-request'));
    const rid = Number(body.attrs.rid);
    if (!/^\d{1,16}$/.test(body.attrs.rid ?? '') || !Number.isSafeInteger(rid) || rid < 1 || rid > MAX_RID)
      return this.respond(res, terminateBody('bad-request'));
    const sid = body.attrs.sid;
    if (sid === undefined) return this.create(rid, body, text, res, origin);
    const session = this.sessions.get(sid);
    if (session) return session.receive(rid, body, res);
    const node = nodeOf(sid);
    if (!origin.forwarded && node !== null && node !== this.bus.node) return this.forward(node, { text }, res);
    this.respond(res, terminateBody('item-not-found'));
  }

  /**
   * The session is held by another node: the request goes there, its answer comes back. A node
   * that is gone took the session with it (item-not-found); one that did not answer in time (busy,
   * paused, the bus slow) may still hold it alive, so the client gets a 502 and sends the same rid
   * again rather than losing its session.
   */
  private forward(node: string, request: { text: string; address?: string }, res: Reply): void {
    this.bus.request(node, 'bosh', request, this.settings.maxWait * 1000 + FORWARD_MARGIN_MS).then(
      (a) => {
        const { body, status, contentType } = a as Answer;
        this.respond(res, body, status, contentType);
      },
      (err: unknown) => {
        if (err instanceof NodeUnreachable) return this.respond(res, terminateBody('item-not-found'));
        this.log.warn({ node, err: String(err) }, 'BOSH request not forwarded: the node holding the session did not answer');
        this.respond(res, '', 502, 'text/plain; charset=utf-8');
      },
    );
  }

  /**
   * Session creation (XEP-0124 §7, XEP-0206 §3). Admission control acts where the request came in;
   * a node at capacity hands the creation to one with room, so where a device's connection landed
   * (round-robin between workers, a sticky load balancer) does not strand it while the cluster has room.
   */
  private create(rid: number, body: XmlElement, text: string, res: Reply, { address, forwarded }: Origin): void {
    const a = body.attrs;
    if (!a.to) return this.respond(res, terminateBody('improper-addressing'));
    if (a.to !== this.port.domain) return this.respond(res, terminateBody('host-unknown'));
    if (!forwarded) {
      const retryAfter = this.admission.admit();
      if (retryAfter > 0) return this.busy(res, retryAfter);
    }
    const fromAddress = this.anonymousByAddress.get(address) ?? 0;
    if (fromAddress >= this.settings.maxAnonymousPerAddress) {
      this.log.debug({ remoteAddress: address, waiting: fromAddress }, 'BOSH session refused: too many from this address waiting to authenticate');
      return this.respond(res, terminateBody('policy-violation'));
    }
    if (this.anonymous.size >= this.settings.maxAnonymous) this.evictOldestAnonymous();
    if (this.capacity.room === 0) {
      const node = forwarded ? null : this.roomElsewhere();
      if (node !== null) return this.forward(node, { text, address }, res);
      if (!this.evictOldestAnonymous()) {
        if (this.refusedAtCapacity++ % 1000 === 0)
          this.log.warn({ sessions: this.sessions.size, refused: this.refusedAtCapacity }, 'refusing new BOSH sessions: at capacity (open files)');
        return this.respond(res, terminateBody('undefined-condition'));
      }
    }
    const wantWait = a.wait === undefined ? this.settings.maxWait : Number(a.wait);
    const wantHold = a.hold === undefined ? 1 : Number(a.hold);
    if (!Number.isInteger(wantWait) || wantWait < 0 || !Number.isInteger(wantHold) || wantHold < 0) return this.respond(res, terminateBody('bad-request'));
    const wait = Math.min(wantWait, this.settings.maxWait);
    const hold = Math.min(wantHold, 1);
    const content = a.content && a.content.length <= 100 && /^[\x20-\x7e]+$/.test(a.content) ? a.content : DEFAULT_CONTENT_TYPE;
    const newSid = (): string => `${base32(this.random.bytes(16))}.${this.bus.node}`;
    let sid = newSid();
    while (this.sessions.has(sid)) sid = newSid();
    const s = new BoshSession(this, sid, rid, wait, hold, a.ver === undefined, content, address);
    this.sessions.set(sid, s);
    const stopDeadline = this.clock.after(this.settings.authDeadline * 1000, () => {
      if (!this.anonymous.has(s)) return;
      this.log.debug({ sid, remoteAddress: address }, 'BOSH session ended: not authenticated in time');
      s.terminate('policy-violation');
    });
    this.anonymous.set(s, { address, stopDeadline });
    this.anonymousByAddress.set(address, fromAddress + 1);
    this.respond(res, s.creationResponse(lowerVersion(a.ver)), 200, content);
  }
}

/** The node a session id names (`<random>.<node>`); null for an id no node made. */
function nodeOf(sid: string): string | null {
  const dot = sid.lastIndexOf('.');
  return dot > 0 && dot < sid.length - 1 ? sid.slice(dot + 1) : null;
}

/** The lower of the client's version and ours, minor parts compared as integers (§7.1). */
function lowerVersion(client: string | undefined): string {
  const ours = [1, 11];
  const m = /^(\d{1,4})\.(\d{1,4})$/.exec(client ?? '');
  if (!m) return ours.join('.');
  const theirs = [Number(m[1]), Number(m[2])];
  return (theirs[0]! < ours[0]! || (theirs[0] === ours[0] && theirs[1]! < ours[1]!) ? theirs : ours).join('.');
}
