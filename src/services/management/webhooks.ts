import { createHmac } from 'node:crypto';
import { isPrivateAddress } from '../../domain/net.js';
import { accountScope, canSeeAccount, isAdmin, type Principal } from '../../domain/principal.js';
import type { Webhook } from '../../domain/webhooks.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { invalid, notFound } from '../kernel/errors.js';
import type { Outbox } from '../kernel/outbox.js';
import { newId, newSecret } from '../kernel/secrets.js';

export const WEBHOOK_EVENTS = ['alert.opened', 'order.received'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookOptions {
  /** Let webhooks reach loopback and private addresses (tests, on-premises receivers). */
  allowPrivate: boolean;
}

/** How webhook calls leave the relay; the HTTP transport provides it. */
export interface WebhookTransport {
  /** The addresses a URL's host name stands for (an address literal stands for itself); fails when it resolves to none. */
  addresses(hostname: string): Promise<string[]>;
  /** POSTs the body to the URL, connecting to `address` (one of its host's, already checked); the HTTP status of the answer. */
  post(url: string, address: string, body: string, headers: Record<string, string>): Promise<number>;
}

/** A call waiting in the outbox: the body is fixed when the event happens, the signature at each attempt. */
interface WebhookCall {
  hookId: string;
  event: string;
  body: string;
}

/**
 * Webhooks for alerts and orders: JSON POSTs signed with HMAC-SHA256 over "timestamp.body",
 * queued in the outbox and retried with back-off. Targets must be public addresses unless
 * allowed, checked when the hook is made and again, after DNS, before every attempt.
 */
export class WebhookService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly outbox: Outbox,
    private readonly net: WebhookTransport,
    private readonly o: WebhookOptions,
  ) {
    outbox.handle('webhook', (m) => this.deliver(m as WebhookCall));
  }

  async create(p: Principal, w: { url: string; events: string[]; accountId?: string }): Promise<{ hook: Webhook; secret: string }> {
    const url = await this.checkUrl(w.url);
    if (w.events.length === 0 || !w.events.every((e) => (WEBHOOK_EVENTS as readonly string[]).includes(e)))
      throw invalid(`events are some of ${WEBHOOK_EVENTS.join(', ')}`);
    const accountId = isAdmin(p) ? (w.accountId ?? null) : accountScope(p)!;
    if (accountId !== null && !canSeeAccount(p, accountId)) throw notFound(`account ${accountId}`);
    const secret = newSecret(this.ctx.random, 'whsec_');
    const hook: Webhook = { id: newId(this.ctx.random, 'wh-', 8), accountId, url, events: [...new Set(w.events)], secret, createdAt: this.ctx.clock.now() };
    await this.ctx.store.webhooks.insert(hook);
    await audit(this.ctx, p, 'webhook.create', hook.id, accountId, { url, events: hook.events });
    return { hook, secret };
  }

  async list(p: Principal): Promise<Webhook[]> {
    return (await this.ctx.store.webhooks.list()).filter((h) => (h.accountId === null ? isAdmin(p) : canSeeAccount(p, h.accountId)));
  }

  async remove(p: Principal, id: string): Promise<void> {
    const h = (await this.list(p)).find((x) => x.id === id);
    if (!h) throw notFound(`webhook ${id}`);
    await this.ctx.store.webhooks.remove(id);
    await audit(this.ctx, p, 'webhook.remove', id, h.accountId);
  }

  /** Queues the event for every hook of the account (and the site-wide ones) that wants it. */
  async emit(accountId: string, event: WebhookEvent, data: Record<string, unknown>): Promise<void> {
    const hooks = (await this.ctx.store.webhooks.list()).filter((h) => h.events.includes(event) && (h.accountId === null || h.accountId === accountId));
    for (const hook of hooks) {
      const body = JSON.stringify({ id: newId(this.ctx.random, 'evt-', 10), event, createdAt: new Date(this.ctx.clock.now()).toISOString(), data });
      await this.outbox.add('webhook', { hookId: hook.id, event, body } satisfies WebhookCall);
    }
  }

  /** One attempt; a hook removed meanwhile is not called any more. */
  private async deliver({ hookId, event, body }: WebhookCall): Promise<void> {
    const hook = await this.ctx.store.webhooks.get(hookId);
    if (!hook) return;
    const u = new URL(hook.url);
    const address = await this.checkedAddress(u.hostname, (why) => new Error(why));
    const timestamp = String(Math.floor(this.ctx.clock.now() / 1000));
    const signature = createHmac('sha256', hook.secret).update(`${timestamp}.${body}`).digest('hex');
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'FleetRelay-Webhook/1',
      'x-fleetrelay-event': event,
      'x-fleetrelay-timestamp': timestamp,
      'x-fleetrelay-signature': `sha256=${signature}`,
    };
    const status = await this.net.post(hook.url, address, body, headers);
    if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
  }

  private async checkUrl(raw: string): Promise<string> {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw invalid('not a URL');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid('a webhook URL is http: or https:');
    if (u.username || u.password) throw invalid('put no credentials in a webhook URL; verify the signature instead');
    if (raw.length > 2000) throw invalid('a webhook URL is at most 2000 characters');
    await this.checkedAddress(u.hostname, invalid);
    return u.toString();
  }

  /**
   * The address a call to this host goes to: its host name must resolve, and, unless private
   * targets are allowed, to public addresses only (every IPv6 form that carries an IPv4 address
   * is judged by that address). Checked when a hook is made and again before every attempt.
   */
  private async checkedAddress(hostname: string, refuse: (why: string) => Error): Promise<string> {
    const addresses = await this.net.addresses(hostname).catch(() => []);
    if (addresses.length === 0) throw refuse(`${hostname} does not resolve to an address`);
    if (!this.o.allowPrivate && (hostname === 'localhost' || addresses.some(isPrivateAddress)))
      throw refuse(`${hostname} is a loopback or private address; webhooks go to public addresses`);
    return addresses[0]!;
  }
}
