import type { ControlWindow, DemandFailure, LineError, LineState, LineView } from '../../domain/fax.js';

/** Bytes a line passes on unchanged (DATA, or a TERMINATE's payload): the switchboard only counts them. */
export interface Relayed {
  readonly length: number;
}

/**
 * What the switchboard says to one fax machine's connection, in the verbs of FIG. 2; the
 * transport turns each into its frame.
 */
export interface FaxLinePort {
  readonly remoteAddress: string;
  /** (3): certified; `holdIntervalSec` is how often the machine must say it is there. */
  loggedIn(r: { holdIntervalSec: number; user: string; connectionId: string }): void;
  /** (3): not certified; the transport closes the line after saying so. */
  loginRefused(reason: string): void;
  /** (5): the answer to a connection holding command. */
  holdAck(): void;
  /** Fax users of the caller's account that are logged in. */
  users(ids: string[]): void;
  /** (7): a call for this line. */
  incoming(call: { from: string; callId: string }): void;
  /** (9): the callee accepted; the lines are paired. */
  connected(call: { callId: string; peer: string }): void;
  /** (6)–(9): the demand failed (callId once a call was made). */
  callFailed(f: { callId?: string; reason: DemandFailure; message: string }): void;
  /** A frame the relay refuses. */
  error(code: LineError, message: string): void;
  /** (15)–(18): the peer's DATA, as received; false when this line cannot take more now. */
  relayData(data: Relayed): boolean;
  /** (19)–(20): the peer ended the call: its TERMINATE as received, or one the relay makes when the peer released or dropped. */
  terminated(data: Relayed | null): boolean;
  pauseReading(): void;
  resumeReading(): void;
  onceDrained(fn: () => void): void;
  close(): void;
}

export interface Call {
  id: string;
  caller: FaxLine;
  callee: FaxLine;
  cancelTimer: () => void;
}

/** One TCP connection of a fax machine and its place in FIG. 2. */
export class FaxLine implements LineView {
  state: LineState = 'login';
  user: { id: string; accountId: string; passwordHash: string } | null = null;
  /** The paired line; null before pairing and once the peer has released or dropped. */
  peer: FaxLine | null = null;
  call: Call | null = null;
  /** A TERMINATE passed on this pairing: the line waits for its RELEASE. */
  terminated = false;
  closed = false;
  loggingIn = false;
  lastHeard: number;
  /** Reading is paused until the peer's send buffer drains (back-pressure); silence then does not count. */
  waitingDrain = false;
  bytesIn = 0;
  bytesOut = 0;
  controlWindow: ControlWindow = { start: 0, count: 0 };
  stopRelease: (() => void) | null = null;
  /** Cancels the login deadline; null once the line logged in or closed. */
  stopLoginTimer: (() => void) | null = null;

  constructor(
    readonly id: string,
    readonly io: FaxLinePort,
    readonly connectedAt: number,
  ) {
    this.lastHeard = connectedAt;
  }

  get userId(): string {
    return this.user?.id ?? '';
  }

  get accountId(): string {
    return this.user?.accountId ?? '';
  }
}

/** Connection information for operators (seed 001 unit 42). */
export interface LineInfo {
  connectionId: string;
  user: string | null;
  accountId: string | null;
  state: LineState;
  peer: { user: string; connectionId: string } | null;
  callId: string | null;
  remoteAddress: string;
  connectedAt: string;
  lastHeardAt: string;
  bytesIn: number;
  bytesOut: number;
}

export function lineInfo(l: FaxLine): LineInfo {
  const iso = (t: number): string => new Date(t).toISOString();
  return {
    connectionId: l.id,
    user: l.user?.id ?? null,
    accountId: l.user?.accountId ?? null,
    state: l.state,
    peer: l.peer?.user ? { user: l.peer.user.id, connectionId: l.peer.id } : null,
    callId: l.call?.id ?? null,
    remoteAddress: l.io.remoteAddress,
    connectedAt: iso(l.connectedAt),
    lastHeardAt: iso(l.lastHeard),
    bytesIn: l.bytesIn,
    bytesOut: l.bytesOut,
  };
}
