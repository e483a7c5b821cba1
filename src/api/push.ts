import type { FastifyInstance, FastifyReply } from 'fastify';
import type { QueuedRequest } from '../domain/push.js';
import { MAX_OBJECTS, SMI_TYPES, type ResultObject } from '../domain/push.js';
import type { PushResult, PushService } from '../services/push/push.js';
import { deviceIdParam, okJson } from '../http/schemas.js';

const tags = ['push'];
const NUMERIC = new Set(['integer', 'counter32', 'gauge32', 'timeticks']);

/** 32-bit numbers travel as JSON numbers; 64-bit and everything else as strings. */
export const objectJson = (o: ResultObject) => ('error' in o ? o : NUMERIC.has(o.type) ? { ...o, value: Number(o.value) } : o);

const oid = { type: 'string', maxLength: 512, pattern: '^[0-2](\\.\\d{1,10})+$' } as const;
const queue = {
  type: 'object',
  description: 'if the device is OFFLINE, keep the request this long and deliver it exactly once at its next contact (202)',
  properties: { ttlSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86400 } },
  required: ['ttlSeconds'],
  additionalProperties: false,
} as const;
/** The objects of a SET (also a bulk SET's). */
export const setObjects = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_OBJECTS,
  items: {
    type: 'object',
    properties: { oid, type: { type: 'string', enum: [...SMI_TYPES] }, value: { type: ['string', 'integer'] } },
    required: ['oid', 'type', 'value'],
    additionalProperties: false,
  },
} as const;
const timeoutSeconds = { type: 'integer', minimum: 1, maximum: 300, description: 'how long to wait for the device (default 30)' } as const;
const result = {
  type: 'object',
  properties: {
    requestId: { type: 'string' },
    objects: {
      type: 'array',
      items: {
        type: 'object',
        properties: { oid: { type: 'string' }, type: { type: 'string' }, value: { type: ['string', 'number'] }, error: { type: 'string' } },
      },
    },
  },
} as const;
/** A queued request on the wire. */
function queuedView(q: QueuedRequest, status: string) {
  const answer = q.answer === null ? {} : 'error' in q.answer ? { error: q.answer.error } : { objects: q.answer.objects.map(objectJson) };
  return {
    requestId: q.requestId,
    deviceId: q.deviceId,
    op: q.op,
    status,
    createdAt: new Date(q.createdAt).toISOString(),
    expiresAt: new Date(q.expiresAt).toISOString(),
    deliveredAt: q.deliveredAt === null ? null : new Date(q.deliveredAt).toISOString(),
    answeredAt: q.answeredAt === null ? null : new Date(q.answeredAt).toISOString(),
    ...answer,
  };
}

const errors = { 404: { $ref: 'Problem#' }, 409: { $ref: 'Problem#' }, 422: { $ref: 'Problem#' }, 504: { $ref: 'Problem#' } } as const;

/**
 * The push relay, northbound (seed 000): a service server's GET/SET by OID (S343, the first
 * request information) is answered synchronously with the device's answer (S373). Offline →
 * 409 at once (S351, the error information); no answer in time → 504.
 */
export async function pushRoutes(app: FastifyInstance, { push }: { push: PushService }): Promise<void> {
  const options = (b: { timeoutSeconds?: number; queue?: { ttlSeconds: number } }) => ({ timeoutSeconds: b.timeoutSeconds, queueTtlSeconds: b.queue?.ttlSeconds });
  const answer = (r: PushResult | QueuedRequest, reply: FastifyReply) => {
    if (!('state' in r)) return { requestId: r.requestId, objects: r.objects.map(objectJson) };
    reply.code(202).header('location', `/api/v1/requests/${r.requestId}`);
    return queuedView(r, 'queued');
  };

  app.post<{ Params: { id: string }; Body: { oids: string[]; timeoutSeconds?: number; queue?: { ttlSeconds: number } } }>(
    '/devices/:id/get',
    {
      schema: {
        tags,
        operationId: 'pushGet',
        summary: 'GET objects from a device; per-object errors (noSuchObject, …) where some fail',
        params: deviceIdParam,
        body: {
          type: 'object',
          properties: { oids: { type: 'array', items: oid, minItems: 1, maxItems: MAX_OBJECTS }, timeoutSeconds, queue },
          required: ['oids'],
          additionalProperties: false,
        },
        response: { 200: result, 202: { type: 'object', additionalProperties: true }, ...errors },
      },
    },
    async (request, reply) => answer(await push.get(request.principal!, request.params.id, request.body.oids, options(request.body)), reply),
  );

  app.post<{
    Params: { id: string };
    Body: { objects: { oid: string; type: string; value: string | number }[]; timeoutSeconds?: number; queue?: { ttlSeconds: number } };
  }>(
    '/devices/:id/set',
    {
      schema: {
        tags,
        operationId: 'pushSet',
        summary: 'SET objects on a device, all or nothing: a refused SET is 422 device-error naming the object',
        params: deviceIdParam,
        body: {
          type: 'object',
          properties: {
            objects: setObjects,
            timeoutSeconds,
            queue,
          },
          required: ['objects'],
          additionalProperties: false,
        },
        response: { 200: result, 202: { type: 'object', additionalProperties: true }, ...errors },
      },
    },
    async (request, reply) => answer(await push.set(request.principal!, request.params.id, request.body.objects, options(request.body)), reply),
  );

  app.get<{ Params: { requestId: string } }>(
    '/requests/:requestId',
    {
      schema: {
        tags,
        operationId: 'getPushRequest',
        summary: 'A queued request: queued, expired, delivered, or answered with the device\'s answer',
        params: { type: 'object', properties: { requestId: { type: 'string', maxLength: 64 } }, required: ['requestId'] },
        response: { 200: okJson('The request: queued, expired, delivered, or answered with the device\'s answer'), 404: { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const q = await push.queued(request.principal!, request.params.requestId);
      return queuedView(q, push.status(q));
    },
  );
}
