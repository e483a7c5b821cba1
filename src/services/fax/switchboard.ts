import type { Clock } from '../../domain/clock.js';
import { countControl, DEFAULT_MAX_CONNECTIONS_PER_USER, isFaxUserId, pickCallee, type DemandFailure, type LineError } from '../../domain/fax.js';
import { FaxLine, lineInfo, type Call, type FaxLinePort, type LineInfo, type Relayed } from './line.js';
import type { FaxUserService } from './users.js';
import type { RateLimiter } from '../kernel/rate-limit.js';
import { newId, type Random } from '../kernel/secrets.js';

export interface FaxOptions {
  holdIntervalMs: number;
  /** A line silent for this many hold intervals is closed. */
  silenceFactor: number;
  /** How long a new connection has to log in. */
  loginTimeoutMs: number;
  /** Connections not logged in yet, in all and from one address; past either a new connection is refused. */
  maxWaitingLogins: number;
  maxWaitingLoginsPerAddress: number;
  /** How long the callee has to accept or reject (seed 001 (7)–(8)). */
  callTimeoutMs: number;
  /** After a TERMINATE, how long a side has to RELEASE before the relay frees its line. */
  releaseTimeoutMs: number;
  /** Control frames a line may send per 10 s; past it they are refused, past twice it the line is closed. */
  controlPer10s: number;
}

export const DEFAULT_FAX: FaxOptions = {
  holdIntervalMs: 60_000,
  silenceFactor: 3,
  loginTimeoutMs: 15_000,
  maxWaitingLogins: 512,
  maxWaitingLoginsPerAddress: 32,
  callTimeoutMs: 35_000,
  releaseTimeoutMs: 30_000,
  controlPer10s: 100,
};

/**
 * The relay server of seed 001: the connection information holding unit (who is logged in on
 * which connections, vacant or paired and with whom) and the rules of FIG. 2 — login, hold,
 * connection demand, notification, accept/reject, relay, termination, release, log-out.
 */
export class FaxSwitchboard {
  private readonly lines = new Set<FaxLine>();
  private readonly byUser = new Map<string, Set<FaxLine>>();
  /** Lines not logged in yet, per client address. */
  private readonly waitingByAddress = new Map<string, number>();
  private waitingLogins = 0;
  private stopSweep: (() => void) | null = null;
  private lastRevalidation = 0;
  calls = 0;
  bytesRelayed = 0;

  constructor(
    private readonly users: FaxUserService,
    private readonly clock: Clock,
    private readonly random: Random,
    readonly o: FaxOptions,
    /** Failed logins per user ID, and per client address (several fax machines may share one NAT address, so that limit is looser). */
    private readonly failures: { perUser: RateLimiter; perAddress: RateLimiter },
    private readonly log: (msg: string, fields: Record<string, unknown>) => void = () => {},
  ) {}

  get size(): number {
    return this.lines.size;
  }

  connectionsOf(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  /**
   * A new connection, which must log in within loginTimeoutMs. Null when too many connections
   * are waiting to log in (in all, or from its address): the transport refuses it.
   */
  open(io: FaxLinePort): FaxLine | null {
    const address = io.remoteAddress;
    const fromAddress = this.waitingByAddress.get(address) ?? 0;
    if (this.waitingLogins >= this.o.maxWaitingLogins || fromAddress >= this.o.maxWaitingLoginsPerAddress) {
      this.log('fax connection refused: too many waiting to log in', { remoteAddress: address, waiting: this.waitingLogins, fromAddress });
      return null;
    }
    const line = new FaxLine(newId(this.random, 'fx', 6), io, this.clock.now());
    this.lines.add(line);
    this.waitingLogins++;
    this.waitingByAddress.set(address, fromAddress + 1);
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
    this.waitingLogins--;
    const left = (this.waitingByAddress.get(line.io.remoteAddress) ?? 1) - 1;
    if (left > 0) this.waitingByAddress.set(line.io.remoteAddress, left);
    else this.waitingByAddress.delete(line.io.remoteAddress);
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
    if (mine.size >= (user.settings.maxConnections ?? DEFAULT_MAX_CONNECTIONS_PER_USER)) return this.refuseLogin(line, 'too-many-connections');
    line.user = { id: user.id, accountId: user.accountId, passwordHash: user.passwordHash };
    this.loginOver(line);
    line.state = 'vacant';
    mine.add(line);
    this.byUser.set(user.id, mine);
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

  /** Users of the caller's account that are logged in now. */
  list(line: FaxLine): void {
    if (!this.loggedIn(line)) return;
    const users = [...this.byUser.entries()].filter(([, set]) => first(set)?.accountId === line.accountId).map(([id]) => id);
    line.io.users(users.sort());
  }

  /** (6)–(7): a connection demand by user ID, notified on a vacant connection of the callee. */
  connect(line: FaxLine, to: string): void {
    if (!this.loggedIn(line)) return;
    to = to.toLowerCase();
    const demand = pickCallee(line, to, [...((isFaxUserId(to) && this.byUser.get(to)) || [])]);
    if (!demand.ok) return line.io.callFailed({ reason: demand.reason, message: demand.message });
    const callee = demand.callee;
    const call: Call = { id: newId(this.random, 'c', 10), caller: line, callee, cancelTimer: () => {} };
    call.cancelTimer = this.clock.after(this.o.callTimeoutMs, () => this.endCall(call, 'timeout', `${to} did not answer in time`));
    line.state = 'dialling';
    callee.state = 'notified';
    line.call = callee.call = call;
    this.calls++;
    callee.io.incoming({ from: line.user!.id, callId: call.id });
  }

  /** (8)–(9): the callee accepts (both lines paired) or rejects. */
  answer(line: FaxLine, accept: boolean, callId: string | undefined, reason?: string): void {
    if (!this.loggedIn(line)) return;
    const call = line.call;
    if (line.state !== 'notified' || !call || (callId !== undefined && callId !== call.id))
      return this.error(line, 'not-paired', callId ? `call ${callId} is not pending on this connection` : 'no call is pending on this connection');
    if (!accept) return this.endCall(call, 'rejected', reason ? `rejected: ${reason.slice(0, 200)}` : 'the callee rejected the call');
    call.cancelTimer();
    const { caller, callee } = call;
    caller.call = callee.call = null;
    caller.state = callee.state = 'paired';
    caller.peer = callee;
    callee.peer = caller;
    caller.io.connected({ callId: call.id, peer: callee.user!.id });
    this.log('fax call paired', { callId: call.id, caller: caller.user!.id, callee: callee.user!.id });
  }

  private endCall(call: Call, reason: DemandFailure, message: string): void {
    call.cancelTimer();
    for (const l of [call.caller, call.callee]) {
      if (l.call !== call) continue;
      l.call = null;
      if (!l.closed) l.state = 'vacant';
    }
    if (!call.caller.closed) call.caller.io.callFailed({ callId: call.id, reason, message });
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
    peer.bytesOut += data.length;
    this.bytesRelayed += data.length;
    if (!peer.io.relayData(data)) this.backOff(line, peer);
  }

  /** (19)–(20): passes to the peer; both sides then owe a RELEASE. */
  terminate(line: FaxLine, data: Relayed): void {
    if (!this.loggedIn(line)) return;
    if (line.state !== 'paired') return this.error(line, 'not-paired', 'TERMINATE needs a paired connection');
    const peer = line.peer;
    if (peer) {
      if (!peer.io.terminated(data)) this.backOff(line, peer);
      this.awaitRelease(peer);
    }
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

  logoutUser(userId: string, why: string): void {
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
      mine?.delete(line);
      if (mine?.size === 0) this.byUser.delete(line.user.id);
    }
    if (line.call) this.endCall(line.call, 'rejected', 'the called connection closed');
    if (line.state === 'paired') this.unpair(line);
    line.stopRelease?.();
  }

  private unpair(line: FaxLine): void {
    const peer = line.peer;
    if (peer) {
      if (!line.terminated && !peer.closed) {
        peer.io.terminated(null);
        this.awaitRelease(peer);
      }
      peer.peer = null;
      this.resume(peer);
    }
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

  private backOff(line: FaxLine, peer: FaxLine): void {
    if (line.waitingDrain) return;
    line.waitingDrain = true;
    line.io.pauseReading();
    peer.io.onceDrained(() => this.resume(line));
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
          (ok) => ok || this.logoutUser(id, 'user removed or password changed'),
          () => {},
        );
      }
    }
  }
}

const first = <T>(s: Set<T>): T | undefined => s.values().next().value;
