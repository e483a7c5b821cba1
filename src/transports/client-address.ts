import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The client's address for per-address limits: the socket's, or behind a trusted reverse proxy
 * (--trust-proxy) the first X-Forwarded-For entry, as the API's request.ip reads it. Without this,
 * every device behind nginx would share the proxy's address and its limits.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const socket = req.socket.remoteAddress ?? '';
  if (!trustProxy) return socket;
  const header = req.headers['x-forwarded-for'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim() ?? '';
  return isIP(first) ? first : socket;
}
