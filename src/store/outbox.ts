/** The Store port, outbox: mails and webhook calls waiting for their next attempt. */
/** A webhook call or a mail waiting for its next attempt. */
export interface OutboxEntry {
  id: number;
  kind: 'webhook' | 'mail';
  /** The message as JSON, opaque to the store. */
  message: string;
  attempts: number;
  nextAt: number;
  createdAt: number;
}

export interface OutboxStore {
  add(kind: OutboxEntry['kind'], message: string, at: number): Promise<number>;
  /**
   * Takes up to `limit` entries due at `now`, oldest first, and leases them until `until` (their
   * next attempt time, should the taker die): relays sharing the store never attempt one entry at once.
   */
  claim(now: number, until: number, limit: number): Promise<OutboxEntry[]>;
  retryAt(id: number, nextAt: number, error: string): Promise<void>;
  remove(id: number): Promise<void>;
  count(): Promise<number>;
}
