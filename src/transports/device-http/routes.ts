import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import type { RateLimiter } from '../../services/kernel/rate-limit.js';
import { sendProblem } from '../../http/problems.js';
import { capabilities, label, problemResponses } from '../../http/schemas.js';
import { deviceView, iso } from '../../http/views.js';
import type { PushService } from '../../services/push/push.js';
import type { PresenceService } from '../../sessions/presence.js';
import { jsonToAnswer, type AnswerJson } from './answer.js';

export interface DeviceHttpOptions {
  services: Services;
  registrations: RateLimiter;
  authenticateDevice: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Base URL for claim links; when unset, the URL the device used to reach us. */
  publicUrl?: string;
  push: PushService;
  presence: PresenceService;
  /** Whether a BOSH session id is a live session bound by this device. */
  recognizes: (deviceId: string, sid: string) => boolean;
}

const tags = ['device'];

/** Plain-HTTP device endpoints: anonymous registration (seed 003 T12/T60) and the device's own record. */
export async function deviceHttpRoutes(app: FastifyInstance, o: DeviceHttpOptions): Promise<void> {
  const { registration, devices } = o.services;
  const baseUrl = (request: FastifyRequest): string => o.publicUrl ?? `${request.protocol}://${request.host}`;

  app.post<{ Body: { serial: string; model: string; capabilities?: Record<string, unknown> } }>(
    '/register',
    {
      schema: {
        tags,
        summary: 'Anonymous registration (T12): returns a PIN and a claim URL for a person, and a poll token for the device',
        body: {
          type: 'object',
          properties: { serial: label, model: label, capabilities },
          required: ['serial', 'model'],
          additionalProperties: false,
        },
        response: { 400: { $ref: 'Problem#' }, 429: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      if (o.registrations.hit(request.ip))
        return sendProblem(reply, 'rate-limited', 'too many registrations from this address', {
          retryAfter: o.registrations.retryAfter(request.ip),
        });
      const t = await registration.register(request.body);
      const pollUrl = `${baseUrl(request)}/device/v1/register/${t.pollToken}`;
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
        summary: 'Poll a registration (T60): 202 pending, 200 with the token exactly once, 410 expired or delivered',
        params: { type: 'object', properties: { pollToken: { type: 'string', maxLength: 100 } }, required: ['pollToken'] },
        querystring: {
          type: 'object',
          properties: { wait: { type: 'integer', minimum: 0, maximum: 30, default: 0, description: 'long-poll for up to this many seconds' } },
          additionalProperties: false,
        },
        response: { 200: { $ref: 'DeviceCredentials#' }, 404: { $ref: 'Problem#' }, 410: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const r = await registration.poll(request.params.pollToken, (request.query.wait ?? 0) * 1000);
      reply.header('cache-control', 'no-store');
      if (r.kind === 'pending') return reply.code(202).send({ status: 'pending', expiresAt: iso(r.expiresAt) });
      return reply.code(200).send(r.credentials);
    },
  );

  app.register(async (authed) => {
    authed.addHook('onRequest', o.authenticateDevice);

    authed.get('/self', { schema: { tags, summary: 'The device as the relay knows it', response: problemResponses } }, async (request) =>
      deviceView(request.device!, devices.jid(request.device!.id), o.presence.isOnline(request.device!.id)),
    );

    authed.post<{ Body: { sid: string } }>(
      '/survival',
      {
        schema: {
          tags,
          summary: 'Survival notification (S241/S365), outside the session: does the relay still know this session?',
          body: { type: 'object', properties: { sid: { type: 'string', maxLength: 64 } }, required: ['sid'], additionalProperties: false },
          response: { 200: { type: 'object', properties: { recognized: { type: 'boolean' } } }, 401: { $ref: 'Problem#' } },
        },
      },
      async (request) => ({ recognized: o.recognizes(request.device!.id, request.body.sid) }),
    );

    authed.get(
      '/requests',
      {
        schema: {
          tags,
          summary: 'Requests queued for this device while it was offline, handed over exactly once; answer each on /device/v1/responses',
          response: { 200: { type: 'object', properties: { items: { type: 'array' } } }, 401: { $ref: 'Problem#' } },
        },
      },
      async (request) => ({
        items: (await o.push.takeQueued(request.device!.id)).map((q) => ({
          requestId: q.requestId,
          op: q.op,
          ...(q.op === 'get' ? { oids: q.oids } : { objects: q.objects }),
        })),
      }),
    );

    const objectSchema = {
      type: 'object',
      properties: {
        oid: { type: 'string', maxLength: 512 },
        type: { type: 'string', maxLength: 16 },
        value: { type: ['string', 'integer'] },
        error: { type: 'string', maxLength: 32 },
      },
      required: ['oid'],
      additionalProperties: false,
    } as const;

    authed.post<{ Body: AnswerJson }>(
      '/responses',
      {
        schema: {
          tags,
          summary: 'A session-less answer to a pushed request (S265); the relay completes the waiting service request (S373)',
          body: {
            type: 'object',
            properties: {
              requestId: { type: 'string', maxLength: 64 },
              objects: { type: 'array', maxItems: 128, items: objectSchema },
              error: {
                type: 'object',
                properties: { condition: { type: 'string', pattern: '^[a-z-]{1,40}$' }, text: { type: 'string', maxLength: 500 } },
                required: ['condition'],
                additionalProperties: false,
              },
            },
            required: ['requestId'],
            additionalProperties: false,
          },
          response: { 200: { type: 'object', properties: { requestId: { type: 'string' }, accepted: { type: 'boolean' } } }, ...problemResponses },
        },
      },
      async (request, reply) => {
        if (!(await o.push.answer(request.device!.id, request.body.requestId, jsonToAnswer(request.body))))
          return sendProblem(reply, 'not-found', `no request ${request.body.requestId.slice(0, 64)} is waiting for this device (unknown, already answered or timed out)`);
        return { requestId: request.body.requestId, accepted: true };
      },
    );

    authed.patch<{ Body: { capabilities: Record<string, unknown> } }>(
      '/self',
      {
        schema: {
          tags,
          summary: 'The device updates its own capability information (only with its own token)',
          body: { type: 'object', properties: { capabilities }, required: ['capabilities'], additionalProperties: false },
          response: problemResponses,
        },
      },
      async (request) => {
        const d = await devices.updateCapabilities(request.device!, request.body.capabilities);
        return deviceView(d, devices.jid(d.id), o.presence.isOnline(d.id));
      },
    );
  });
}
