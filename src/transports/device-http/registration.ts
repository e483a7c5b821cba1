import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RegistrationService } from '../../services/identity/registration.js';
import type { RateLimiter } from '../../services/kernel/rate-limit.js';
import { sendProblem } from '../../http/problems.js';
import { anonymous, capabilities, label, okJson } from '../../http/schemas.js';
import { iso } from '../../http/views.js';
import { DEVICE_HTTP } from '../../protocol/device-http.js';

export interface RegistrationRoutesOptions {
  registration: RegistrationService;
  registrations: RateLimiter;
  /** Base URL for claim links; when unset, the URL the device used to reach us. */
  publicUrl?: string;
}

const tags = ['device'];

/** Anonymous registration (seed 003): a device without a token asks for a PIN (T12, answered at T20) and polls until a person has claimed it (T60: the poll that brings its token). */
export async function registrationRoutes(app: FastifyInstance, o: RegistrationRoutesOptions): Promise<void> {
  const { registration } = o;
  const baseUrl = (request: FastifyRequest): string => o.publicUrl ?? `${request.protocol}://${request.host}`;

  app.post<{ Body: { serial: string; model: string; capabilities?: Record<string, unknown> } }>(
    '/register',
    {
      schema: {
        tags,
        operationId: 'registerDevice',
        security: anonymous,
        summary: 'Anonymous registration: returns a PIN and a claim URL for a person, and a poll token for the device',
        body: {
          type: 'object',
          properties: { serial: label, model: label, capabilities },
          required: ['serial', 'model'],
          additionalProperties: false,
        },
        response: { 201: okJson('The PIN and claim URL for a person, the poll token for the device'), 400: { $ref: 'Problem#' }, 429: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      if (o.registrations.hit(request.ip))
        return sendProblem(reply, 'rate-limited', 'too many registrations from this address', {
          retryAfter: o.registrations.retryAfter(request.ip),
        });
      const t = await registration.register(request.body);
      const pollUrl = `${baseUrl(request)}${DEVICE_HTTP}/register/${t.pollToken}`;
      return reply.code(201).send({
        pin: t.pin,
        claimUrl: `${baseUrl(request)}/claim/${t.claimId}`,
        pollToken: t.pollToken,
        pollUrl,
        expiresAt: iso(t.expiresAt),
      });
    },
  );

  app.get<{ Params: { pollToken: string }; Querystring: { wait?: number } }>(
    '/register/:pollToken',
    {
      schema: {
        tags,
        operationId: 'pollRegistration',
        security: anonymous,
        summary: 'Poll a registration: 202 pending, 200 with the token exactly once, 410 expired, delivered, locked or refused (its serial is already a device; see reason)',
        params: { type: 'object', properties: { pollToken: { type: 'string', maxLength: 100 } }, required: ['pollToken'] },
        querystring: {
          type: 'object',
          properties: { wait: { type: 'integer', minimum: 0, maximum: 30, default: 0, description: 'long-poll for up to this many seconds' } },
          additionalProperties: false,
        },
        response: { 202: okJson('Still pending: { status, expiresAt }'), 200: { $ref: 'DeviceCredentials#' }, 404: { $ref: 'Problem#' }, 410: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const r = await registration.poll(request.params.pollToken, (request.query.wait ?? 0) * 1000);
      reply.header('cache-control', 'no-store');
      if (r.kind === 'pending') return reply.code(202).send({ status: 'pending', expiresAt: iso(r.expiresAt) });
      return reply.code(200).send(r.credentials);
    },
  );
}
