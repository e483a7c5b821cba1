import type { Clock } from '../../domain/clock.js';
import type { OutboxEntry, OutboxStore } from '../../store/outbox.js';
import type { Mailer } from './mail.js';

/** Seconds before each retry: an entry is tried six times over about a quarter of an hour. */
export const RETRY_S = [1, 5, 30, 120, 600];
/** Entries waiting at most; past this new ones are refused rather than grow without bound. */
const MAX_ENTRIES = 10_000;
/** Attempts under way at once. */
const MAX_IN_FLIGHT = 50;
/** How often due retries (and entries left by an earlier run) are looked for. */
const POLL_MS = 1000;
/** An entry taken for an attempt is not due again for this long: the attempt ends well before (webhook calls time out after 10 s), or its relay died and any relay retries it then. */
export const LEASE_MS = 2 * 60_000;

type Kind = OutboxEntry['kind'];
type MailMessage = Parameters<Mailer['send']>[0];

/**
 * Webhook calls and mails go out through here: written to the store first, then attempted, and
 * retried with back-off until they succeed or run out of attempts — so a restart or a receiver
 * that is down for a while loses nothing. Delivery is at least once; relays sharing a store
 * each take entries under a lease, so they do not attempt the same one at once.
 */
export class Outbox {
  private readonly handlers = new Map<Kind, (message: unknown) => Promise<void>>();
  private inFlight = 0;
  private size = 0;
  private running = false;
  private again = false;
  private stopPoll: (() => void) | null = null;

  constructor(
    private readonly store: OutboxStore,
    private readonly clock: Clock,
    private readonly onGiveUp: (kind: Kind, message: unknown, error: string) => void,
  ) {}

  /** How entries of a kind are sent; one that throws is retried. */
  handle(kind: Kind, send: (message: unknown) => Promise<void>): void {
    this.handlers.set(kind, send);
  }

  /** Picks up what an earlier run left, then polls for due retries. */
  async start(): Promise<void> {
    this.size = await this.store.count();
    const poll = (): void => {
      this.stopPoll = this.clock.after(POLL_MS, () => {
        this.drain();
        poll();
      });
    };
    poll();
    this.drain();
  }

  stop(): void {
    this.stopPoll?.();
    this.stopPoll = null;
  }

  get waiting(): number {
    return this.size;
  }

  /** Stored and attempted at once. Throws when the outbox is full: the caller should say so. */
  async add(kind: Kind, message: unknown): Promise<void> {
    if (this.size >= MAX_ENTRIES) throw new Error(`the outbox is full: ${MAX_ENTRIES} mails and webhook calls are waiting; this ${kind} is dropped`);
    await this.store.add(kind, JSON.stringify(message), this.clock.now());
    this.size++;
    this.drain();
  }

  /** A Mailer that queues here; what it queues is sent through `mailer`. */
  mailer(mailer: Mailer): Mailer {
    this.handle('mail', (m) => mailer.send(m as MailMessage));
    return { send: (m) => this.add('mail', m) };
  }

  /** Starts attempts on the due entries, up to MAX_IN_FLIGHT. One run at a time; a call during a run makes it look again. */
  private drain(): void {
    this.again = true;
    if (!this.running) void this.run().catch(() => undefined); // a store failure: the next poll tries again
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.again) {
        this.again = false;
        const room = MAX_IN_FLIGHT - this.inFlight;
        if (room <= 0) break; // an attempt that ends calls drain() again
        const now = this.clock.now();
        // Taken entries are leased: neither a later look here nor another relay on the store takes them again.
        for (const e of await this.store.claim(now, now + LEASE_MS, room)) void this.attempt(e).catch(() => undefined);
      }
    } finally {
      this.running = false;
    }
  }

  private async attempt(e: OutboxEntry): Promise<void> {
    this.inFlight++;
    const message: unknown = JSON.parse(e.message);
    try {
      const send = this.handlers.get(e.kind);
      if (!send) throw new Error(`nothing sends ${e.kind} here (is outbound mail configured?)`);
      await send(message);
      await this.done(e.id);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const delay = this.handlers.has(e.kind) ? RETRY_S[e.attempts] : undefined;
      if (delay === undefined) {
        await this.done(e.id);
        this.onGiveUp(e.kind, message, error);
      } else await this.store.retryAt(e.id, this.clock.now() + delay * 1000, error);
    } finally {
      this.inFlight--;
    }
    this.drain(); // room again for what waited
  }

  private async done(id: number): Promise<void> {
    await this.store.remove(id);
    this.size--;
  }
}
