import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import { ERROR_KINDS } from '../services/management/codes.js';
import { okJson, problemResponses } from '../http/schemas.js';

const tags = ['codes'];
const name = { type: 'string', maxLength: 32 } as const;
const params = { type: 'object', properties: { namespace: name, code: name }, required: ['namespace', 'code'] } as const;

/** Code tables: error numbers, order codes, Printer MIB alert codes (seed 004). Writes are for site admins. */
export async function codeRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  app.get<{ Querystring: { namespace?: string } }>(
    '/codes',
    {
      schema: {
        tags,
        operationId: 'listCodes',
        summary: 'The code tables, optionally one namespace (error, order, mib-alert, …)',
        querystring: { type: 'object', properties: { namespace: name }, additionalProperties: false },
        response: { 200: okJson('The codes: { items }'), ...problemResponses },
      },
    },
    async (request) => ({ items: await services.codes.list(request.query.namespace) }),
  );

  app.put<{ Params: { namespace: string; code: string }; Body: { kind?: string | null; description: string; reply?: string } }>(
    '/codes/:namespace/:code',
    {
      schema: {
        tags,
        operationId: 'putCode',
        summary: 'Add or change a code',
        params,
        body: {
          type: 'object',
          properties: {
            kind: { type: ['string', 'null'], enum: [...ERROR_KINDS, null] },
            description: { type: 'string', maxLength: 200 },
            reply: { type: 'string', maxLength: 200 },
          },
          required: ['description'],
          additionalProperties: false,
        },
        response: { 200: okJson('The code as stored'), ...problemResponses, 403: { $ref: 'Problem#' } },
      },
    },
    async (request) => services.codes.put(request.principal!, { ...request.params, ...request.body }),
  );

  app.delete<{ Params: { namespace: string; code: string } }>(
    '/codes/:namespace/:code',
    { schema: { tags, operationId: 'deleteCode', summary: 'Remove a code', params, response: { 204: { type: 'null' }, ...problemResponses, 403: { $ref: 'Problem#' } } } },
    async (request, reply) => {
      await services.codes.remove(request.principal!, request.params.namespace, request.params.code);
      return reply.code(204).send();
    },
  );
}
