import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isOid, isSmiType, isSnmpError, MAX_OBJECTS, valueProblem, type PushAnswer, type ResultObject } from '../../domain/push.js';
import { sendProblem } from '../../http/problems.js';
import { deviceSecurity, problemResponses } from '../../http/schemas.js';
import type { PushService } from '../../services/push/push.js';
import { invalid } from '../../services/kernel/errors.js';


export interface PushRoutesOptions {
  push: PushService;
  authenticateDevice: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const tags = ['device'];

/** The push relay outside a session: requests queued while the device was offline, and session-less answers (seed 000 S265: the answer as a plain HTTP request, whose reply is S375). */
export async function pushDeviceRoutes(app: FastifyInstance, o: PushRoutesOptions): Promise<void> {
  app.addHook('onRequest', o.authenticateDevice);

  app.get(
    '/requests',
    {
      schema: {
        tags,
        operationId: 'takeQueuedRequests',
        security: deviceSecurity,
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

  app.post<{ Body: AnswerJson }>(
    '/responses',
    {
      schema: {
        tags,
        operationId: 'answerRequest',
        security: deviceSecurity,
        summary: 'A session-less answer to a pushed request; the relay completes the waiting service request with it',
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
}

export interface AnswerJson {
  requestId: string;
  objects?: { oid: string; type?: string; value?: string | number; error?: string }[];
  error?: { condition: string; text?: string };
}

/** A device's session-less answer (seed 000 S265: the answer sent as a plain HTTP request) as the relay's PushAnswer. */
export function jsonToAnswer(body: AnswerJson): PushAnswer {
  if (body.error) return { error: { condition: body.error.condition, ...(body.error.text ? { text: body.error.text } : {}) } };
  if (!body.objects) throw invalid('an answer carries objects or an error');
  if (body.objects.length > MAX_OBJECTS) throw invalid(`at most ${MAX_OBJECTS} objects`);
  const objects: ResultObject[] = body.objects.map((o) => {
    if (!isOid(o.oid)) throw invalid(`not an OID: ${String(o.oid).slice(0, 64)}`);
    if (o.error !== undefined) {
      if (!isSnmpError(o.error)) throw invalid(`${o.oid}: unknown error ${o.error.slice(0, 32)}`);
      return { oid: o.oid, error: o.error };
    }
    if (!o.type || !isSmiType(o.type)) throw invalid(`${o.oid}: unknown type ${String(o.type).slice(0, 32)}`);
    const value = String(o.value ?? '');
    const problem = valueProblem(o.type, value);
    if (problem) throw invalid(`${o.oid}: ${problem}`);
    return { oid: o.oid, type: o.type, value };
  });
  return { objects };
}
