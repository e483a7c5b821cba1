import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { WebhookTransport } from '../../services/management/webhooks.js';

const TIMEOUT_MS = 10_000;

/** Webhook calls over HTTP(S): the host's addresses from DNS, and the POST itself (no redirects, 10 s bound). */
export const webhookHttp: WebhookTransport = {
  async addresses(hostname) {
    const host = hostname.replace(/^\[|\]$/g, '');
    return isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  },
  async post(url, body, headers) {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  },
};
