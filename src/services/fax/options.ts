/** The fax relay's timings and caps (seed 001 names none: these are ours). */
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
