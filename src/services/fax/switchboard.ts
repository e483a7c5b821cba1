import type { Clock } from '../../domain/clock.js';
import { countControl, DEFAULT_MAX_CONNECTIONS_PER_USER, isFaxUserId, pickCallee, type Demand, type DemandFailure, type LineError } from '../../domain/fax.js';
import { FaxLine, lineInfo, type Call, type FarCall, type FaxCluster, type FaxLinePort, type LineInfo, type PeerEnd, type Relayed } from './line.js';
import type { FaxUserService } from './users.js';
import type { RateLimiter } from '../kernel/rate-limit.js';
import { newId, type Random } from '../kernel/secrets.js';
import { WaitingLogins } from './logins.js';
import type { FaxOptions } from './options.js';

export { DEFAULT_FAX, type FaxOptions } from './options.js';

/**
 * The relay server of seed 001: the connection information holding unit (who is logged in on
 * which connections, vacant or paired and with whom) and the rules of FIG. 2 — login, hold,
 * connection demand, notification, accept/reject, relay, termination, release, log-out.
 */
export class FaxSwitchboard {
  private readonly lines = new Set<FaxLine>();
  private readonly byUser = new Map<string, Set<FaxLine>>();
  private readonly waiting: WaitingLogins;
  private stopSweep: (() => void) | null = null;
  private lastRevalidation = 0;
  private cluster: FaxCluster | null = null;
  /** Calls notified to a line here (a call across nodes counts on the callee's node). */
  calls = 0;
  /** Bytes read from lines here and passed on (across nodes: counted on the sender's node). */
  bytesRelayed = 0;

  constructor(
    private readonly users: FaxUserService,
    private readonly clock: Clock,
    private readonly random: Random,
    readonly o: FaxOptions,
    /** Failed logins per user ID, and per client address (several fax machines may share one NAT address, so that limit is looser). */
    private readonly failures: { perUser: RateLimiter; perAddress: RateLimiter },
    private readonly log: (msg: string, fields: Record<string, unknown>) => void = () => {},
  ) {
    this.waiting = new WaitingLogins(o);
  }

  get size(): number {
    return this.lines.size;
  }

  /** Seed 001 FIG. 3: the other relay nodes' users can be listed and called. */
  join(cluster: FaxCluster): void {
    this.cluster = cluster;
  }

  /** The user's connections, on every node. */
  connectionsOf(userId: string): number {
    return (this.byUser.get(userId)?.size ?? 0) + (this.cluster?.linesElsewhere(userId) ?? 0);
  }

  /**
   * A new connection, which must log in within loginTimeoutMs. Null when too many connections
   * are waiting to log in (in all, or from its address): the transport refuses it.
   */
  open(io: FaxLinePort): FaxLine | null {
    const address = io.remoteAddress;
    if (!this.waiting.admit(address)) {
      this.log('fax connection refused: too many waiting to log in', { remoteAddress: address, waiting: this.waiting.total, fromAddress: this.waiting.fromAddress(address) });
      return null;
    }
    const line = new FaxLine(newId(this.random, 'fx', 6), io, this.clock.now());
    this.lines.add(line);
    line.stopLoginTimer = this.clock.after(this.o.loginTimeoutMs, () => {
      if (line.state !== 'login' || line.closed) return;
      this.log('fax line closed: no login', { connectionId: line.id, remoteAddress: address });
      line.io.close();
    });
    return line;
  }

  /** The line leaves the login stage (logged in, or closed before). */
  private loginOver(line: FaxLine): void {
    if (!line.stopLoginTimer) return;
    line.stopLoginTimer();
    line.stopLoginTimer = null;
    this.waiting.leave(line.io.remoteAddress);
  }

  /**
   * Counts a frame heard on the line. False when the line has sent too many control frames:
   * the frame is refused (ERROR throttled), and a line that keeps on is closed.
   */
  heard(line: FaxLine, control: boolean): boolean {
    const now = this.clock.now();
    line.lastHeard = now;
    if (!control) return true;
    const verdict = countControl(line.controlWindow, now, this.o.controlPer10s);
    if (verdict === 'take') return true;
    if (verdict === 'close') {
      this.log('fax line closed: control-frame flood', { connectionId: line.id, user: line.user?.id });
      line.io.close();
    } else this.error(line, 'throttled', 'too many control frames; slow down');
    return false;
  }

  private error(line: FaxLine, code: LineError, message: string): void {
    line.io.error(code, message);
  }

  /** (1)–(3): certification by user ID and password; a failure is answered, then the line closed. */
  async login(line: FaxLine, userId: string, password: string): Promise<void> {
    if (line.state !== 'login' || line.loggingIn) return this.error(line, 'bad-frame', 'this connection is already logged in');
    userId = userId.toLowerCase();
    const address = line.io.remoteAddress;
    if (this.failures.perAddress.blocked(address) || this.failures.perUser.blocked(userId)) return this.refuseLogin(line, 'throttled');
    line.loggingIn = true;
    const user = await this.users.authenticate(userId, password).finally(() => (line.loggingIn = false));
    if (line.closed) return;
    if (!user) {
      this.failures.perAddress.hit(address);
      this.failures.perUser.hit(userId);
      this.log('fax login failed', { user: userId, remoteAddress: line.io.remoteAddress });
      return this.refuseLogin(line, 'bad-credentials');
    }
    const mine = this.byUser.get(user.id) ?? new Set<FaxLine>();
    if (this.connectionsOf(user.id) >= (user.settings.maxConnections ?? DEFAULT_MAX_CONNECTIONS_PER_USER)) return this.refuseLogin(line, 'too-many-connections');
    line.user = { id: user.id, accountId: user.accountId, passwordHash: user.passwordHash };
    this.loginOver(line);
    line.state = 'vacant';
    mine.add(line);
    this.byUser.set(user.id, mine);
    this.cluster?.linesHere(user.id, user.accountId, mine.size);
    line.io.loggedIn({ holdIntervalSec: this.o.holdIntervalMs / 1000, user: user.id, connectionId: line.id });
  }

  private refuseLogin(line: FaxLine, reason: string): void {
    line.io.loginRefused(reason);
    line.io.close();
  }

  /** (4)–(5): a connection holding command, answered: the line is still there. */
  hold(line: FaxLine): void {
    if (this.loggedIn(line)) line.io.holdAck();
  }

  /** Users of the caller's account that are logged in now, on any node. */
  list(line: FaxLine): void {
    if (!this.loggedIn(line)) return;
    const users = new Set([...this.byUser.entries()].filter(([, set]) => first(set)?.accountId === line.accountId).map(([id]) => id));
    for (const id of this.cluster?.usersElsewhere(line.accountId) ?? []) users.add(id);
    line.io.users([...users].sort());
  }

  /** (6)–(7): a connection demand by user ID, notified on a vacant connection of the callee (here, or on another node). */
  connect(line: FaxLine, to: string): void {
    if (!this.loggedIn(line)) return;
    to = to.toLowerCase();
    const demand = pickCallee(line, to, [...((isFaxUserId(to) && this.byUser.get(to)) || [])]);
    if (!demand.ok && line.state === 'vacant' && demand.reason !== 'self' && this.cluster?.dial(line, to)) return;
    if (!demand.ok) return line.io.callFailed({ reason: demand.reason, message: demand.message });
    this.ring({ id: newId(this.random, 'c', 10), caller: line, callee: demand.callee, cancelTimer: () => {} }, line.userId, to, this.o.callTimeoutMs);
  }

  /** (6) for a call across nodes, caller's side: the line dials; `far` carries the demand to the other node. */
  dialFar(line: FaxLine, to: string, far: FarCall, slackMs: number): Call {
    const call: Call = { id: newId(this.random, 'c', 10), caller: line, callee: null, cancelTimer: () => {}, far };
    this.ring(call, line.userId, to, this.o.callTimeoutMs + slackMs);
    return call;
  }

  /** (7) for a caller on another node: a vacant line of `to` here is notified, or the demand fails as a local one would. */
  offer(d: { callId: string; from: string; accountId: string; to: string }, far: FarCall): Demand<FaxLine> {
    const demand = pickCallee({ state: 'vacant', userId: d.from, accountId: d.accountId }, d.to, [...((isFaxUserId(d.to) && this.byUser.get(d.to)) || [])]);
    if (demand.ok) this.ring({ id: d.callId, caller: null, callee: demand.callee, cancelTimer: () => {}, far }, d.from, d.to, this.o.callTimeoutMs);
    return demand;
  }

  private ring(call: Call, from: string, to: string, waitMs: number): void {
    call.cancelTimer = this.clock.after(waitMs, () => this.endCall(call, 'timeout', `${to} did not answer in time`));
    const { caller, callee } = call;
    if (caller) {
      caller.state = 'dialling';
      caller.call = call;
    }
    if (callee) {
      callee.state = 'notified';
      callee.call = call;
      this.calls++;
      callee.io.incoming({ from, callId: call.id });
    }
  }

  /** (8)–(9): the callee accepts (both lines paired) or rejects. */
  answer(line: FaxLine, accept: boolean, callId: string | undefined, reason?: string): void {
    if (!this.loggedIn(line)) return;
    const call = line.call;
    if (line.state !== 'notified' || !call || (callId !== undefined && callId !== call.id))
      return this.error(line, 'not-paired', callId ? `call ${callId} is not pending on this connection` : 'no call is pending on this connection');
    if (!accept) return this.endCall(call, 'rejected', reason ? `rejected: ${reason.slice(0, 200)}` : 'the callee rejected the call');
    call.cancelTimer();
    const caller = call.caller;
    this.pair(line, caller ? this.endOf(caller) : call.far!.accepted(line));
    if (caller) {
      this.pair(caller, this.endOf(line));
      caller.io.connected({ callId: call.id, peer: line.userId });
    }
    this.log('fax call paired', { callId: call.id, caller: line.peer!.user, callee: line.userId, node: line.peer!.node });
  }

  /** (9) for a call across nodes, caller's side: the callee accepted on its node. False when the call is over here. */
  farAnswered(call: Call, peer: PeerEnd): boolean {
    const caller = call.caller;
    if (!caller || caller.call !== call || caller.closed) return false;
    call.cancelTimer();
    this.pair(caller, peer);
    caller.io.connected({ callId: call.id, peer: peer.user });
    return true;
  }

  private pair(line: FaxLine, peer: PeerEnd): void {
    line.call = null;
    line.state = 'paired';
    line.peer = peer;
  }

  /** The call ends unpaired: its lines here are vacant again, and the caller is told why (with the call ID once a callee was notified). */
  endCall(call: Call, reason: DemandFailure, message: string, notified = true): void {
    call.cancelTimer();
    for (const l of [call.caller, call.callee]) {
      if (!l || l.call !== call) continue;
      l.call = null;
      if (!l.closed) l.state = 'vacant';
    }
    if (call.caller && !call.caller.closed) call.caller.io.callFailed({ ...(notified ? { callId: call.id } : {}), reason, message });
    call.far?.ended(reason, message);
  }

  /** (15)–(18): DATA passes to the peer unchanged; a full peer pauses this line until it drains. */
  data(line: FaxLine, data: Relayed): void {
    const peer = line.state === 'paired' ? line.peer : null;
    if (!peer) {
      if (this.heard(line, true)) {
        if (line.user) this.error(line, 'not-paired', 'DATA needs a paired connection');
        else this.error(line, 'not-logged-in', 'log in first');
      }
      return;
    }
    line.bytesIn += data.length;
    this.bytesRelayed += data.length;
    if (!peer.data(data)) this.backOff(line, peer);
  }

  /** (19)–(20): passes to the peer; both sides then owe a RELEASE. */
  terminate(line: FaxLine, data: Relayed): void {
    if (!this.loggedIn(line)) return;
    if (line.state !== 'paired') return this.error(line, 'not-paired', 'TERMINATE needs a paired connection');
    if (line.peer && !line.peer.terminate(data)) this.backOff(line, line.peer);
    this.awaitRelease(line);
  }

  /** (21): the line is vacant again. A RELEASE without a TERMINATE first tells the peer. */
  release(line: FaxLine): void {
    if (line.state === 'vacant' || !this.loggedIn(line)) return;
    if (line.state !== 'paired') return this.error(line, 'not-paired', 'RELEASE needs a paired connection');
    this.unpair(line);
  }

  /** (22)–(24): every connection of the user is closed. */
  logout(line: FaxLine): void {
    if (!line.user) return line.io.close();
    this.logoutUser(line.user.id, 'logout');
  }

  /** Closes the user's connections here, and on the other nodes unless they asked (`here`). */
  logoutUser(userId: string, why: string, here = false): void {
    if (!here && this.cluster?.linesElsewhere(userId)) this.cluster.loggedOut(userId, why);
    const mine = this.byUser.get(userId);
    if (!mine) return;
    this.log('fax user logged out', { user: userId, why, connections: mine.size });
    for (const l of [...mine]) l.io.close();
  }

  /** The connection is gone: its call or pairing ends and the peer is told. */
  closed(line: FaxLine): void {
    if (line.closed) return;
    line.closed = true;
    this.lines.delete(line);
    this.loginOver(line);
    if (line.user) {
      const mine = this.byUser.get(line.user.id);
      if (mine?.delete(line)) this.cluster?.linesHere(line.user.id, line.user.accountId, mine.size);
      if (mine?.size === 0) this.byUser.delete(line.user.id);
    }
    if (line.call) this.endCall(line.call, 'rejected', 'the called connection closed');
    if (line.state === 'paired') this.unpair(line);
    line.stopRelease?.();
  }

  private unpair(line: FaxLine): void {
    line.peer?.left();
    line.stopRelease?.();
    line.stopRelease = null;
    line.peer = null;
    line.terminated = false;
    if (!line.closed) line.state = 'vacant';
    this.resume(line);
  }

  private awaitRelease(line: FaxLine): void {
    line.terminated = true;
    line.stopRelease ??= this.clock.after(this.o.releaseTimeoutMs, () => {
      line.stopRelease = null;
      if (line.state === 'paired' && !line.closed) {
        this.log('fax line released by timeout', { connectionId: line.id, user: line.user?.id });
        this.unpair(line);
      }
    });
  }

  /** A line here as its paired side reaches it. A TERMINATE passes to both lines, so `terminated` is the same on both. */
  endOf(line: FaxLine): PeerEnd {
    return {
      user: line.userId,
      connectionId: line.id,
      data: (d) => {
        line.bytesOut += d.length;
        return line.io.relayData(d);
      },
      terminate: (d) => {
        const ok = line.io.terminated(d);
        this.awaitRelease(line);
        return ok;
      },
      onceDrained: (fn) => line.io.onceDrained(fn),
      left: () => {
        if (!line.terminated && !line.closed) {
          line.io.terminated(null);
          this.awaitRelease(line);
        }
        line.peer = null;
        this.resume(line);
      },
    };
  }

  private backOff(line: FaxLine, peer: PeerEnd): void {
    if (line.waitingDrain) return;
    line.waitingDrain = true;
    line.io.pauseReading();
    peer.onceDrained(() => this.resume(line));
  }

  private resume(line: FaxLine): void {
    if (!line.waitingDrain || line.closed) return;
    line.waitingDrain = false;
    line.lastHeard = this.clock.now();
    line.io.resumeReading();
  }

  private loggedIn(line: FaxLine): boolean {
    if (line.user) return true;
    this.error(line, 'not-logged-in', 'log in first');
    return false;
  }

  /** Connection information for operators (seed 001 unit 42). */
  snapshot(accountId?: string): LineInfo[] {
    return [...this.lines].filter((l) => accountId === undefined || l.user?.accountId === accountId).map(lineInfo);
  }

  start(): void {
    const every = Math.min(Math.max(this.o.holdIntervalMs / 2, 1000), 15_000);
    const tick = (): void => {
      this.sweep();
      this.stopSweep = this.clock.after(every, tick);
    };
    this.stopSweep = this.clock.after(every, tick);
  }

  stop(): void {
    this.stopSweep?.();
    for (const l of [...this.lines]) l.io.close();
  }

  /** Closes lines that went silent, and logs out users removed or re-keyed meanwhile. */
  sweep(): void {
    const now = this.clock.now();
    const silence = this.o.holdIntervalMs * this.o.silenceFactor;
    for (const l of this.lines) {
      if (!l.waitingDrain && now - l.lastHeard > silence) {
        this.log('fax line closed: silent', { connectionId: l.id, user: l.user?.id, silentMs: now - l.lastHeard });
        l.io.close();
      }
    }
    if (now - this.lastRevalidation >= 30_000) {
      this.lastRevalidation = now;
      for (const [id, set] of this.byUser) {
        const hash = first(set)!.user!.passwordHash;
        void this.users.stillValid(id, hash).then(
          (ok) => ok || this.logoutUser(id, 'user removed or password changed', true),
          () => {},
        );
      }
    }
  }
}

const first = <T>(s: Set<T>): T | undefined => s.values().next().value;
