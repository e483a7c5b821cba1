import { Agent, request, type AgentOptions } from 'node:http';

/**
 * How long a connection of the device sits idle before TCP keep-alive probes it. Node's default
 * (1 s) probes every idle connection once a second: noise on a device's uplink, and on a host
 * holding many sessions a packet storm (50,000 simulated devices on one machine sent ~50,000
 * probes a second over loopback, which dropped packets and aborted connections).
 */
export const KEEPALIVE_IDLE_MS = 30_000;

/** A keep-alive connection pool for a device (or many): what the SDK uses unless given one. */
export function deviceAgent(o: AgentOptions = {}): Agent {
  return new Agent({ keepAlive: true, keepAliveMsecs: KEEPALIVE_IDLE_MS, ...o });
}

const sharedAgent = deviceAgent();

export interface HttpAnswer {
  status: number;
  body: string;
  /** Seconds, from a Retry-After header. */
  retryAfter?: number;
}

/** One POST with a bounded wait; the device SDK's only HTTP primitive. */
export function httpPost(
  url: string,
  body: string,
  headers: Record<string, string>,
  o: { agent?: Agent; localAddress?: string; timeoutMs: number },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: o.agent ?? sharedAgent,
      localAddress: o.localAddress,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      timeout: o.timeoutMs,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const retryAfter = Number(res.headers['retry-after']);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(retryAfter > 0 ? { retryAfter } : {}) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
