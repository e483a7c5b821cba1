/** The BOSH binding's limits, named in one place (compare Prosody's mod_bosh settings). */
export interface BoshSettings {
  /** Longest a request is held before an empty answer (seconds); a client asking more gets this. */
  maxWait: number;
  /** Seconds without a held request before the session is dropped (XEP-0124 §10). */
  inactivity: number;
  /** Longest pause a client may ask for (seconds, §10). */
  maxPause: number;
  /** Shortest interval between polls of a polling session (seconds, §12). */
  polling: number;
  /** Largest request body read (bytes). */
  maxBodyBytes: number;
  /** Stanzas queued for a session that has no held request, before pushes are refused. */
  maxQueuedStanzas: number;
  /** Seconds a new session has to authenticate (SASL success) before it is ended. */
  authDeadline: number;
  /** Sessions not authenticated yet, in all: past it the oldest of them is ended to make room, so they never crowd out devices that log in. */
  maxAnonymous: number;
  /** Sessions not authenticated yet from one client address: past it, creation is refused. */
  maxAnonymousPerAddress: number;
}

export const DEFAULT_BOSH: BoshSettings = {
  maxWait: 60,
  inactivity: 75,
  maxPause: 120,
  polling: 2,
  maxBodyBytes: 64 * 1024,
  maxQueuedStanzas: 64,
  authDeadline: 10,
  maxAnonymous: 1_000,
  maxAnonymousPerAddress: 128,
};

/** Largest rid a client may use (XEP-0124 §14.1): 2^53 − 1. */
export const MAX_RID = Number.MAX_SAFE_INTEGER;
