import { EventEmitter } from 'node:events';
import { FaxConnection, FaxError, type FaxEndpoint } from './fax-client.js';
import { DocumentReceiver, type ReceivedDocument } from './fax-document.js';

export interface FaxMachineOptions {
  endpoint: FaxEndpoint;
  user: string;
  password: string;
  /** Received documents are saved here. */
  inbox: string;
  /** Decides whether to take a call; all are taken by default. */
  acceptFrom?: (from: string) => boolean;
}

export interface FaxMachineEvents {
  document: [ReceivedDocument];
  call: [{ from: string; accepted: boolean }];
  connection: [{ open: number }];
  problem: [Error];
}

const RECONNECT_MAX_MS = 30_000;

/**
 * A fax machine's receiving side: it stays logged in and always keeps one vacant connection,
 * opening a spare when a call takes its last one (seed 001 (10)–(14)) and closing surplus
 * vacant ones after a call (option (b) of [0038]). Calls are accepted, documents saved and
 * confirmed, and the connection released when the caller terminates. A lost relay is retried
 * with back-off.
 */
export class FaxMachine extends EventEmitter<FaxMachineEvents> {
  private readonly connections = new Set<FaxConnection>();
  private stopped = false;
  private opening = false;
  private retryMs = 500;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: FaxMachineOptions) {
    super();
  }

  /** Logs in; rejects when the first login is refused (wrong password, unreachable relay). */
  async start(): Promise<void> {
    await this.openOne();
  }

  get open(): number {
    return this.connections.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const first = [...this.connections][0];
    if (first) first.logout();
    await new Promise((r) => setTimeout(r, 50));
    for (const c of this.connections) c.close();
  }

  private vacant(): number {
    return [...this.connections].filter((c) => c.state === 'vacant').length;
  }

  private async openOne(): Promise<void> {
    this.opening = true;
    try {
      const c = await FaxConnection.open(this.o.endpoint, this.o.user, this.o.password);
      if (this.stopped) return c.close();
      this.retryMs = 500;
      this.adopt(c);
    } finally {
      this.opening = false;
    }
  }

  private adopt(c: FaxConnection): void {
    this.connections.add(c);
    this.emit('connection', { open: this.connections.size });
    c.on('incoming', ({ from, callId }) => {
      const accepted = this.o.acceptFrom?.(from) ?? true;
      this.emit('call', { from, accepted });
      if (!accepted) return c.reject(callId, 'not accepted by this machine');
      new DocumentReceiver(c, this.o.inbox, from, (d) => this.emit('document', d));
      c.accept(callId);
      this.ensureSpare();
    });
    c.on('terminate', () => {
      c.release();
      if (this.vacant() > 1) c.end();
    });
    c.on('close', () => {
      this.connections.delete(c);
      this.emit('connection', { open: this.connections.size });
      this.ensureSpare();
    });
  }

  private ensureSpare(): void {
    if (this.stopped || this.opening || this.retryTimer || this.vacant() > 0) return;
    this.openOne().catch((e: unknown) => {
      this.emit('problem', e instanceof Error ? e : new FaxError('unknown', String(e)));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.ensureSpare();
      }, this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    });
  }
}
