import { BusTimeout, NodeUnreachable, type Bus } from '../../bus/bus.js';
import type { DemandFailure } from '../../domain/fax.js';
import type { Call, FarCall, FaxCluster, FaxLine, PeerEnd, Relayed } from './line.js';
import type { FaxRoster } from './roster.js';
import type { NodeWatch } from '../../sessions/nodes.js';
import type { FaxSwitchboard } from './switchboard.js';

/** Bytes of one call a node sends on without their acknowledgement before it pauses its line… */
export const WINDOW = 1024 * 1024;
/** …which reads again once fewer are unacknowledged. */
const RESUME_AT = WINDOW / 2;
/** The receiving node acknowledges every this many bytes written to its line, and whenever its line drains after a pause. */
const ACK_EVERY = WINDOW / 4;
/** Frame bytes per bus message: base64 adds a third, and NATS refuses messages over 1 MiB unless told otherwise. */
export const PIECE = 256 * 1024;
/** The largest frame a relay may be configured to take (--fax-max-frame): more pieces than that is a broken bridge. */
const MAX_FRAME = 64 * 1024 * 1024;
/** What a demand to another node may take beyond the callee's call timeout. */
const SLACK_MS = 5_000;

/** A connection demand passed to the callee's node. */
interface Demand {
  callId: string;
  node: string;
  from: string;
  connectionId: string;
  accountId: string;
  to: string;
}
type Answer = { ok: true; peer: string; connectionId: string } | { ok: false; reason: DemandFailure; message: string };

/**
 * One message about a bridged call, from node `f`: a piece of a DATA (`d`) or TERMINATE (`t`)
 * frame, numbered `s` from 0 in each direction, `m` when more pieces of the frame follow; an
 * acknowledgement of `n` bytes written (`a`); or "this side left the call" (`l`).
 */
interface Msg {
  c: string;
  f: string;
  k: 'd' | 't' | 'a' | 'l';
  s?: number;
  b?: string;
  m?: 1;
  n?: number;
}

/** This node's half of a call whose other line is on another node: the peer as its line here sees it. */
class Bridged implements PeerEnd, FarCall {
  callId = '';
  line!: FaxLine;
  connectionId = '';
  /** The pending call, until it is accepted. */
  call: Call | null = null;
  /** The line here as the other node's messages reach it, once paired. */
  local: PeerEnd | null = null;
  /** Callee's side: answers the caller's node. */
  answer: ((a: Answer) => void) | null = null;
  /** Caller's side: what came before this node saw the accept (they travel apart on the bus). */
  early: Msg[] | null = null;
  over = false;
  seq = 0;
  sent = 0;
  acked = 0;
  drained: (() => void)[] = [];
  expect = 0;
  received = 0;
  reported = 0;
  /** The line here is full: acknowledgements wait until it drains. */
  holding = false;
  pieces: Buffer[] = [];
  piecesLength = 0;

  constructor(
    private readonly bridge: FaxBridge,
    public node: string,
    public user: string,
  ) {}

  data(d: Relayed): boolean {
    return this.bridge.pass(this, 'd', d);
  }

  terminate(d: Relayed): boolean {
    return this.bridge.pass(this, 't', d);
  }

  onceDrained(fn: () => void): void {
    if (this.sent - this.acked <= RESUME_AT) fn();
    else this.drained.push(fn);
  }

  left(): void {
    this.bridge.end(this, null, true);
  }

  accepted(callee: FaxLine): PeerEnd {
    this.local = this.bridge.board.endOf(callee);
    this.call = null;
    this.answer?.({ ok: true, peer: callee.userId, connectionId: callee.id });
    this.answer = null;
    return this;
  }

  ended(reason: DemandFailure, message: string): void {
    if (this.answer) {
      this.answer({ ok: false, reason, message });
      this.answer = null;
      this.bridge.end(this, null, false);
    } else this.bridge.end(this, null, true);
  }
}

/**
 * Calls between fax users on different relay nodes (seed 001 FIG. 3): the demand goes to a
 * node where the callee is logged in (found in the roster), which notifies its line and answers
 * when it accepts or rejects; then each node relays its own line's frames to the other in order,
 * in pieces on the bus. Back-pressure spans the bus: the receiving node acknowledges the bytes it
 * has written to its line, and the sending node stops reading its line while more than WINDOW
 * bytes are unacknowledged. A node that is lost ends its calls here as a dropped line would.
 */
export class FaxBridge implements FaxCluster {
  private readonly calls = new Map<string, Bridged>();

  constructor(
    readonly board: FaxSwitchboard,
    private readonly roster: FaxRoster,
    private readonly bus: Bus,
    nodes: NodeWatch,
    private readonly log: (msg: string, fields: Record<string, unknown>) => void = () => {},
  ) {
    board.join(this);
    bus.serve('fax.call', (d) => this.demanded(d as Demand));
    bus.serve('fax.bridge', (m) => this.heard(m as Msg));
    bus.onBroadcast('fax.logout', (b) => {
      const { user, why } = b as { user: string; why: string };
      board.logoutUser(user, why, true);
    });
    nodes.on('down', (node) => this.lost(node));
  }

  /** Calls bridged to other nodes now, pending or paired. */
  get size(): number {
    return this.calls.size;
  }

  usersElsewhere(accountId: string): string[] {
    return this.roster.usersOf(accountId);
  }

  linesElsewhere(userId: string): number {
    return this.roster.linesOf(userId);
  }

  linesHere(userId: string, accountId: string, count: number): void {
    this.roster.linesHere(userId, accountId, count);
  }

  loggedOut(userId: string, why: string): void {
    this.bus.broadcast('fax.logout', { user: userId, why });
  }

  dial(line: FaxLine, to: string): boolean {
    const nodes = this.roster.nodesOf(to, line.accountId);
    if (nodes.length === 0) return false;
    const b = new Bridged(this, nodes[0]!, to);
    b.line = line;
    b.early = [];
    const call = this.board.dialFar(line, to, b, SLACK_MS);
    b.callId = call.id;
    b.call = call;
    this.calls.set(call.id, b);
    void this.demand(b, call, nodes);
    return true;
  }

  /** (6)→(7) across nodes: asks each node where the callee is logged in until one notifies it. */
  private async demand(b: Bridged, call: Call, nodes: string[]): Promise<void> {
    const to = b.user;
    const d: Demand = { callId: call.id, node: this.bus.node, from: b.line.userId, connectionId: b.line.id, accountId: b.line.accountId, to };
    let failed: Answer & { ok: false } = { ok: false, reason: 'not-logged-in', message: `${to} is not logged in` };
    for (const node of nodes) {
      b.node = node;
      let a: Answer;
      try {
        a = (await this.bus.request(node, 'fax.call', d, this.board.o.callTimeoutMs + 2 * SLACK_MS)) as Answer;
      } catch (err) {
        if (err instanceof NodeUnreachable) a = { ok: false, reason: 'not-logged-in', message: `${to} is not reachable (${err.message})` };
        else if (err instanceof BusTimeout) a = { ok: false, reason: 'timeout', message: `${to} did not answer in time` };
        else a = { ok: false, reason: 'rejected', message: `relay node ${node} could not take the call: ${(err as Error).message}` };
      }
      if (b.over) {
        if (a.ok) this.send(b, { k: 'l' }); // accepted there after the call ended here: that line is terminated
        return;
      }
      if (a.ok) return this.paired(b, call, a);
      if (a.reason !== 'not-logged-in' || failed.reason === 'not-logged-in') failed = a;
      if (a.reason !== 'busy' && a.reason !== 'not-logged-in') break;
    }
    this.end(b, null, false);
    this.board.endCall(call, failed.reason, failed.message, failed.reason !== 'busy' && failed.reason !== 'not-logged-in');
  }

  private paired(b: Bridged, call: Call, a: Answer & { ok: true }): void {
    b.user = a.peer;
    b.connectionId = a.connectionId;
    if (!this.board.farAnswered(call, b)) return this.end(b, null, true);
    b.call = null;
    b.local = this.board.endOf(b.line);
    const early = b.early ?? [];
    b.early = null;
    for (const m of early) this.heard(m);
  }

  /** The callee's node: a vacant line of the callee is notified; the answer waits for ACCEPT or REJECT. */
  private demanded(d: Demand): Answer | Promise<Answer> {
    if (this.calls.has(d.callId)) return { ok: false, reason: 'busy', message: `call ID ${d.callId} is in use` };
    const b = new Bridged(this, d.node, d.from);
    b.callId = d.callId;
    b.connectionId = d.connectionId;
    const answered = new Promise<Answer>((resolve) => (b.answer = resolve));
    const r = this.board.offer(d, b);
    if (!r.ok) return { ok: false, reason: r.reason, message: r.message };
    b.line = r.callee;
    b.call = r.callee.call;
    this.calls.set(d.callId, b);
    return answered;
  }

  /** Sends a frame of the line here to the other node; false when too much of what it sent is unacknowledged. */
  pass(b: Bridged, k: 'd' | 't', d: Relayed): boolean {
    if (b.over) return true;
    const bytes = d.parts ? Buffer.concat(d.parts, d.length) : Buffer.alloc(d.length);
    let off = 0;
    do {
      const piece = bytes.subarray(off, off + PIECE);
      off += PIECE;
      this.send(b, { k, s: b.seq++, b: piece.toString('base64'), ...(off < bytes.length ? { m: 1 as const } : {}) });
    } while (off < bytes.length);
    b.sent += bytes.length;
    return b.sent - b.acked <= WINDOW;
  }

  private heard(m: Msg): void {
    const b = this.calls.get(m.c);
    if (!b) {
      // A call this node no longer has: the other side ends its half too.
      if (m.k === 'd' || m.k === 't') this.bus.tell(m.f, 'fax.bridge', { c: m.c, f: this.bus.node, k: 'l' } satisfies Msg);
      return;
    }
    if (b.early) return void b.early.push(m);
    if (m.k === 'a') return this.acked(b, m.n ?? 0);
    if (m.k === 'l') return this.end(b, `${b.user}'s connection left the call`, false);
    this.piece(b, m);
  }

  private piece(b: Bridged, m: Msg): void {
    if (m.s !== b.expect) return this.end(b, `message ${m.s} of call ${b.callId} came where ${b.expect} was due`, true);
    b.expect++;
    const piece = Buffer.from(m.b ?? '', 'base64');
    b.pieces.push(piece);
    b.piecesLength += piece.length;
    if (b.piecesLength > MAX_FRAME) return this.end(b, `a frame of call ${b.callId} is over ${MAX_FRAME} bytes`, true);
    if (m.m) return;
    const bytes = b.pieces.length === 1 ? b.pieces[0]! : Buffer.concat(b.pieces, b.piecesLength);
    b.pieces = [];
    b.piecesLength = 0;
    if (!b.local) return this.end(b, `call ${b.callId} was not paired here`, true);
    b.received += bytes.length;
    const relayed: Relayed = { length: bytes.length, parts: [bytes] };
    const more = m.k === 'd' ? b.local.data(relayed) : b.local.terminate(relayed);
    if (!more && !b.holding) {
      b.holding = true;
      b.local.onceDrained(() => {
        b.holding = false;
        this.ack(b);
      });
    } else if (!b.holding && b.received - b.reported >= ACK_EVERY) this.ack(b);
  }

  private ack(b: Bridged): void {
    if (b.over || b.received === b.reported) return;
    b.reported = b.received;
    this.send(b, { k: 'a', n: b.received });
  }

  private acked(b: Bridged, n: number): void {
    b.acked = Math.max(b.acked, n);
    if (b.sent - b.acked > RESUME_AT) return;
    const fns = b.drained;
    b.drained = [];
    for (const fn of fns) fn();
  }

  /**
   * The bridged call ends here. `why` (the other side left, or the bridge broke): the line here
   * is told as if a line on this node had dropped. `tell`: the other node ends its half too.
   */
  end(b: Bridged, why: string | null, tell: boolean): void {
    if (b.over) return;
    b.over = true;
    b.drained = [];
    this.calls.delete(b.callId);
    if (tell) this.send(b, { k: 'l' });
    if (why === null) return;
    if (b.call) this.board.endCall(b.call, 'rejected', why);
    else b.local?.left();
  }

  private lost(node: string): void {
    const ended = [...this.calls.values()].filter((b) => b.node === node);
    for (const b of ended) this.end(b, `the relay node holding ${b.user}'s connection (${node}) was lost`, true);
    if (ended.length) this.log('fax calls ended: relay node lost', { node, calls: ended.length });
  }

  private send(b: Bridged, m: Omit<Msg, 'c' | 'f'>): void {
    this.bus.tell(b.node, 'fax.bridge', { c: b.callId, f: this.bus.node, ...m });
  }
}
