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
  /** Entries due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxEntry[]>;
  retryAt(id: number, nextAt: number, error: string): Promise<void>;
  remove(id: number): Promise<void>;
  count(): Promise<number>;
}
