import type { ControlWindow, DemandFailure, LineError, LineState, LineView } from '../../domain/fax.js';

/** Bytes a line passes on unchanged (DATA, or a TERMINATE's payload): the switchboard only counts them. */
export interface Relayed {
  readonly length: number;
  /** The bytes, as slices of what was read: a bridge to another node copies them. */
  readonly parts?: readonly Buffer[];
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
  /** The dialling line; null when it is on another node. */
  caller: FaxLine | null;
  /** The notified line; null while the demand is with another node. */
  callee: FaxLine | null;
  cancelTimer: () => void;
  /** The other node's side of a call across nodes (bridge.ts). */
  far?: FarCall;
}

/** What a call across nodes does on the other node when it is answered or ends here. */
export interface FarCall {
  /** The callee here accepted: the caller's end, on its node. */
  accepted(callee: FaxLine): PeerEnd;
  /** The call ended before pairing; the other node is told (unless it told this one). */
  ended(reason: DemandFailure, message: string): void;
}

/**
 * The other side of a pairing as one line's switchboard acts on it: a line on this node, or one
 * on another node reached over the bus (bridge.ts).
 */
export interface PeerEnd {
  readonly user: string;
  readonly connectionId: string;
  /** The relay node holding it, when not this one. */
  readonly node?: string;
  /** (16)/(18): DATA for the peer; false when it cannot take more now. */
  data(d: Relayed): boolean;
  /** (20): a TERMINATE for the peer, which then owes a RELEASE; false when it cannot take more now. */
  terminate(d: Relayed): boolean;
  /** Runs fn once the peer can take more. */
  onceDrained(fn: () => void): void;
  /** This side left the pairing (released, released by timeout, closed): unless a TERMINATE passed, the peer gets one the relay makes. */
  left(): void;
}

/** What the switchboard asks of the other relay nodes (bridge.ts); without it the relay is alone. */
export interface FaxCluster {
  /** Users of the account logged in on other nodes. */
  usersElsewhere(accountId: string): string[];
  /** Connections the user holds on other nodes. */
  linesElsewhere(userId: string): number;
  /** The user's connections here changed in number. */
  linesHere(userId: string, accountId: string, count: number): void;
  /** Dials `to` on another node for a line that found no vacant line of it here; false when it is logged in on no other node. */
  dial(line: FaxLine, to: string): boolean;
  /** The relay logged the user out here: the other nodes close its connections too. */
  loggedOut(userId: string, why: string): void;
}

/** One TCP connection of a fax machine and its place in FIG. 2. */
export class FaxLine implements LineView {
  state: LineState = 'login';
  user: { id: string; accountId: string; passwordHash: string } | null = null;
  /** The paired side; null before pairing and once the peer has released or dropped. */
  peer: PeerEnd | null = null;
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
  /** `node`: the relay node holding the peer, when it is another one. */
  peer: { user: string; connectionId: string; node?: string } | null;
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
    peer: l.peer ? { user: l.peer.user, connectionId: l.peer.connectionId, ...(l.peer.node ? { node: l.peer.node } : {}) } : null,
    callId: l.call?.id ?? null,
    remoteAddress: l.io.remoteAddress,
    connectedAt: iso(l.connectedAt),
    lastHeardAt: iso(l.lastHeard),
    bytesIn: l.bytesIn,
    bytesOut: l.bytesOut,
  };
}
