import { request, type Agent } from 'node:http';

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
      agent: o.agent,
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
