import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { WebhookTransport } from '../../services/management/webhooks.js';

const TIMEOUT_MS = 10_000;

/**
 * Webhook calls over HTTP(S): the host's addresses from DNS, and the POST itself, sent to the
 * one address the service checked — the connection never looks the name up again, so a DNS
 * answer that changes between the check and the call (DNS rebinding) cannot redirect it. TLS
 * still verifies the certificate against the URL's host name. No redirects; 10 s bound.
 */
export const webhookHttp: WebhookTransport = {
  async addresses(hostname) {
    const host = hostname.replace(/^\[|\]$/g, '');
    return isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  },
  post(url, address, body, headers) {
    const family = isIP(address);
    const pinned: LookupFunction = (_host, options, done) => {
      if (options.all) done(null, [{ address, family }]);
      else done(null, address, family);
    };
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(u, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, lookup: pinned, signal: AbortSignal.timeout(TIMEOUT_MS) }, (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  },
};
