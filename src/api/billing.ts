import { sendCsv } from '../http/csv.js';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import { accountId, deviceIdParam, rawBody, okJson, problemResponses } from '../http/schemas.js';

const counter = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** Meter offsets and the billing CSV (seed 004 state 7: counters reported for billing). */
export async function billingRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { billing } = services;

  app.post<{ Params: { id: string }; Body: { total: number; mono: number; colour: number; at?: string } }>(
    '/devices/:id/meter-offsets',
    {
      schema: {
        tags: ['billing'],
        operationId: 'addMeterOffset',
        summary: 'Record a counter reset (board swap): from `at` (default now) on, these are added to the device\'s reads',
        params: deviceIdParam,
        body: {
          type: 'object',
          properties: { total: counter, mono: counter, colour: counter, at: { type: 'string', maxLength: 40 } },
          required: ['total', 'mono', 'colour'],
          additionalProperties: false,
        },
        response: { 201: okJson('The offset as recorded'), ...problemResponses },
      },
    },
    async (request, reply) => {
      await billing.addOffset(request.principal!, request.params.id, request.body);
      return reply.code(201).send({ deviceId: request.params.id, ...request.body });
    },
  );

  app.get<{ Querystring: { from: string; to: string; accountId?: string } }>(
    '/billing',
    {
      schema: {
        tags: ['billing'],
        operationId: 'getBilling',
        summary: `CSV per device for [from, to): start, end and delta of the total, mono and colour counters. Dates are midnight in the relay's time zone.`,
        querystring: {
          type: 'object',
          properties: { from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 }, accountId },
          required: ['from', 'to'],
          additionalProperties: false,
        },
        response: { 200: rawBody('One CSV line per device', 'text/csv'), ...problemResponses },
      },
    },
    async (request, reply) =>
      sendCsv(reply, billing.csv(request.principal!, request.query.from, request.query.to, request.query.accountId), `billing-${request.query.from}-${request.query.to}.csv`),
  );
}
