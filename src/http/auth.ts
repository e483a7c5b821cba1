import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../domain/principal.js';
import type { Device } from '../domain/devices.js';
import type { Services } from '../services/index.js';
import type { RateLimiter } from '../services/kernel/rate-limit.js';
import type { DevicePresence } from '../sessions/device-sessions.js';
import { sameText } from '../services/kernel/secrets.js';
import { sendProblem } from './problems.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    device?: Device;
  }
}

export const SESSION_COOKIE = 'fr_session';

export function bearer(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1]! : '';
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Answers a failed authentication: 401, or 429 with Retry-After once the client address has
 * failed more than the limit allows in its window. Every secret-checking route answers through
 * this, so guesses are counted wherever they are made.
 */
export function refuseAuth(failures: RateLimiter, request: FastifyRequest, reply: FastifyReply, detail: string): FastifyReply {
  if (failures.hit(request.ip))
    return sendProblem(reply, 'rate-limited', 'too many failed authentications from this address', {
      retryAfter: failures.retryAfter(request.ip),
    });
  reply.header('www-authenticate', 'Bearer realm="fleetrelay"');
  return sendProblem(reply, 'unauthorized', detail);
}

/**
 * Resolves who is calling: an API bearer token, or a signed-in person's session cookie (whose
 * unsafe requests must carry the session's CSRF token in X-CSRF-Token). Failures count against
 * the client address, and past the limit they get 429 instead of 401. A valid token always
 * works: devices behind one office NAT must not be locked out by a neighbour's wrong token,
 * and 256-bit secrets are not guessed by retrying.
 */
export function authHooks(services: Services, presence: DevicePresence, failures: RateLimiter) {
  const refuse = (request: FastifyRequest, reply: FastifyReply, detail: string): FastifyReply => refuseAuth(failures, request, reply, detail);

  return {
    /** For the northbound API and the console's API calls. */
    async principal(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const token = bearer(request);
      if (token !== null) {
        const p = token ? await services.auth.apiToken(token) : null;
        if (!p) return void refuse(request, reply, 'the bearer token is not valid (unknown, revoked or expired)');
        request.principal = p;
        return;
      }
      const cookie = request.cookies[SESSION_COOKIE];
      const signedIn = cookie ? await services.auth.session(cookie) : null;
      if (!signedIn) return void refuse(request, reply, 'send Authorization: Bearer <API token>, or sign in');
      const csrf = request.headers['x-csrf-token'];
      if (UNSAFE.has(request.method) && !(typeof csrf === 'string' && sameText(csrf, signedIn.csrf)))
        return void sendProblem(reply, 'forbidden', 'a signed-in request that changes something needs the X-CSRF-Token header');
      request.principal = signedIn.principal;
    },

    /** For device endpoints: the device's own access token. */
    async device(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const token = bearer(request);
      const device = token ? await services.auth.deviceToken(token) : null;
      if (!device) return void refuse(request, reply, 'send Authorization: Bearer <device token>');
      request.device = device;
      // Any HTTP request from an online device resets its management timer (seed 000 S364).
      presence.refresh(device.id);
    },
  };
}
