import type { FastifyInstance } from 'fastify';
import { canSeeAccount, type Principal } from '../domain/principal.js';
import type { Bus } from '../bus/bus.js';
import type { ConsoleKit } from './console.js';

/** What the console shows live: a device going online or offline, a new alert, a print job moving on. */
export type LiveEvent =
  | { kind: 'presence'; deviceId: string; online: boolean }
  | { kind: 'alert'; alertId: number; deviceId: string; description: string }
  | { kind: 'job'; jobId: string; deviceId: string; state: string };

const KINDS = new Set(['presence', 'alert', 'job']);
const TOPIC = 'console.live';

interface Watcher {
  principal: Principal;
  send(event: LiveEvent): void;
  end(): void;
}

export const MAX_WATCHERS = 1000;
/** Bytes a watcher may fall behind before it is dropped (its browser reconnects and reloads what it shows). */
const MAX_BEHIND = 64 * 1024;
const HEARTBEAT_MS = 25_000;

/**
 * Console pages that follow the fleet live (issue 15): each signed-in page holds one Server-Sent
 * Events stream (/events), and gets what happens to the accounts its person may see — on this
 * node, and on the others: an event goes over the bus when another node says (in its heartbeat)
 * that it has pages watching.
 */
export class LiveEvents {
  private readonly watchers = new Set<Watcher>();
  private othersWatching: () => boolean = () => false;
  private bus: Bus | null = null;

  /** Joins the cluster: events from other nodes are shown here, and this node's go to them while they watch. */
  join(bus: Bus, othersWatching: () => boolean): void {
    this.bus = bus;
    this.othersWatching = othersWatching;
    bus.onBroadcast(TOPIC, (body) => {
      const b = body as { accountId?: unknown; event?: { kind?: unknown } } | null;
      if (typeof b?.accountId === 'string' && KINDS.has(String(b.event?.kind))) this.show(b.accountId, b.event as LiveEvent);
    });
  }

  get watching(): boolean {
    return this.watchers.size > 0;
  }

  /** The relay is closing: every stream ends (browsers come back to another node, or later). */
  closeAll(): void {
    for (const w of [...this.watchers]) w.end();
  }

  /** Whether anyone, here or on another node, would see an event (else the caller need not make it). */
  get wanted(): boolean {
    return this.watching || this.othersWatching();
  }

  publish(accountId: string, event: LiveEvent): void {
    this.show(accountId, event);
    if (this.othersWatching()) this.bus?.broadcast(TOPIC, { accountId, event });
  }

  private show(accountId: string, event: LiveEvent): void {
    for (const w of this.watchers) if (canSeeAccount(w.principal, accountId)) w.send(event);
  }

  /** GET /events for a signed-in person: text/event-stream until they leave. */
  routes(app: FastifyInstance, kit: ConsoleKit): void {
    app.get('/events', { schema: { hide: true } }, async (request, reply) => {
      const s = await kit.signedIn(request);
      if (!s) return reply.code(401).type('text/plain').send('sign in first\n');
      if (this.watchers.size >= MAX_WATCHERS) return reply.code(503).header('retry-after', '30').type('text/plain').send('too many live pages; reload later\n');
      const res = reply.hijack().raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.write('retry: 5000\n\n');
      const w: Watcher = {
        principal: s.principal,
        send: (event) => {
          if (res.writableLength > MAX_BEHIND) return void res.destroy();
          res.write(`event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
        },
        end: () => res.end(),
      };
      this.watchers.add(w);
      const beat = setInterval(() => res.write(': still here\n\n'), HEARTBEAT_MS);
      res.on('close', () => {
        clearInterval(beat);
        this.watchers.delete(w);
      });
    });
  }
}

/** The console's one script: it follows /events and updates what the page marks with data-live-* (served as /console.js). */
export const CONSOLE_JS = `'use strict';
(() => {
  const events = new EventSource('/events');
  const say = (text) => { const r = document.getElementById('live-news'); if (r) r.textContent = text; };
  events.addEventListener('presence', (m) => {
    const e = JSON.parse(m.data);
    for (const el of document.querySelectorAll('[data-live-presence]')) if (el.dataset.livePresence === e.deviceId) el.textContent = e.online ? 'online' : 'offline';
  });
  events.addEventListener('job', (m) => {
    const e = JSON.parse(m.data);
    for (const el of document.querySelectorAll('[data-live-job]')) if (el.dataset.liveJob === e.jobId) el.textContent = e.state;
  });
  events.addEventListener('alert', (m) => {
    const e = JSON.parse(m.data);
    const n = document.querySelector('#tile-alerts strong');
    if (n) n.textContent = String(Number(n.textContent) + 1);
    say('New alert: ' + e.description);
  });
})();
`;
