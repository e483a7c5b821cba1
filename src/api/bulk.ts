import { VERSION_PATTERN } from '../domain/firmware.js';
import type { FastifyInstance } from 'fastify';
import { BULK_ACTIONS, BULK_RESULT_STATES, MAX_BULK_DEVICES, type BulkResultState } from '../domain/bulk.js';
import { DEVICE_ID_PATTERN } from '../domain/identifiers.js';
import { MAX_TAGS, TAG_PATTERN } from '../domain/devices.js';
import type { BulkInput, BulkService, BulkView } from '../services/management/bulk.js';
import { accountId, label, paging, problemResponses } from '../http/schemas.js';
import { setObjects } from './push.js';
import { iso } from '../http/views.js';

const tags = ['bulk'];
const tagList = { type: 'array', maxItems: MAX_TAGS, items: { type: 'string', pattern: TAG_PATTERN } } as const;
const idParam = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

const view = ({ job, counts }: BulkView) => ({
  id: job.id,
  accountId: job.accountId,
  ...job.params,
  state: job.state,
  total: counts.pending + counts.ok + counts.queued + counts.failed,
  counts,
  createdBy: job.createdBy,
  createdAt: iso(job.createdAt),
  updatedAt: iso(job.updatedAt),
});

const job = {
  type: 'object',
  description: 'A bulk job: what it does, how far it is (counts of devices by result), and whether it still runs',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    action: { type: 'string', enum: [...BULK_ACTIONS] },
    state: { type: 'string', enum: ['running', 'done'] },
    total: { type: 'integer' },
    counts: { type: 'object', properties: Object.fromEntries(BULK_RESULT_STATES.map((s) => [s, { type: 'integer' }])) },
  },
} as const;

/** Bulk actions on devices: POST /bulk starts one, GET /bulk/{id} follows it, POST /bulk/{id}/retry does the failed devices again. */
export async function bulkRoutes(app: FastifyInstance, { bulk }: { bulk: BulkService }): Promise<void> {
  app.post<{ Body: BulkInput }>(
    '/bulk',
    {
      schema: {
        tags,
        operationId: 'startBulk',
        summary: 'The same SET, tag change, firmware assignment or removal on every device a filter selects; runs in the background (202)',
        body: {
          type: 'object',
          properties: {
            action: { type: 'string', enum: [...BULK_ACTIONS] },
            filter: {
              type: 'object',
              description: 'the devices: listed by id, or all that match (tag, model, account, online, firmware version, a supply low)',
              properties: {
                deviceIds: { type: 'array', minItems: 1, maxItems: MAX_BULK_DEVICES, items: { type: 'string', pattern: DEVICE_ID_PATTERN } },
                tag: { type: 'string', pattern: TAG_PATTERN },
                model: label,
                accountId,
                online: { type: 'boolean' },
                firmware: { type: 'string', pattern: VERSION_PATTERN },
                supplyLow: { type: 'boolean' },
              },
              additionalProperties: false,
            },
            objects: { ...setObjects, description: 'set: the objects, all or nothing on each device' },
            queueOfflineSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86400, description: 'set: an offline device gets the SET at its next contact within this long (result "queued"); without it, offline devices fail' },
            add: { ...tagList, description: 'tags: tags to add' },
            remove: { ...tagList, description: 'tags: tags to remove' },
            version: { type: ['string', 'null'], pattern: VERSION_PATTERN, description: "firmware: the program version to assign (each device's model must have it), null to take an assignment back" },
          },
          required: ['action', 'filter'],
          additionalProperties: false,
        },
        response: { 202: job, ...problemResponses },
      },
    },
    async (request, reply) => reply.code(202).send(view(await bulk.start(request.principal!, request.body))),
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/bulk',
    {
      schema: {
        tags,
        operationId: 'listBulk',
        summary: 'Bulk jobs, newest first',
        querystring: { type: 'object', properties: { limit: paging.limit }, additionalProperties: false },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...problemResponses },
      },
    },
    async (request) => ({ items: (await bulk.list(request.principal!, request.query.limit)).map((j) => ({ id: j.id, accountId: j.accountId, action: j.params.action, state: j.state, createdBy: j.createdBy, createdAt: iso(j.createdAt) })) }),
  );

  app.get<{ Params: { id: string }; Querystring: { state?: BulkResultState; cursor?: string; limit?: number } }>(
    '/bulk/:id',
    {
      schema: {
        tags,
        operationId: 'getBulk',
        summary: 'A bulk job with its per-device results (filter by result, page by cursor)',
        params: idParam,
        querystring: { type: 'object', properties: { state: { type: 'string', enum: [...BULK_RESULT_STATES] }, ...paging }, additionalProperties: false },
        response: { 200: job, ...problemResponses },
      },
    },
    async (request) => {
      const p = request.principal!;
      const v = await bulk.get(p, request.params.id);
      const limit = request.query.limit ?? 100;
      const results = await bulk.results(p, request.params.id, { ...request.query, limit });
      return {
        ...view(v),
        results: results.map((r) => ({ deviceId: r.deviceId, state: r.state, detail: r.detail, updatedAt: iso(r.updatedAt) })),
        nextCursor: results.length === limit ? results[results.length - 1]!.deviceId : null,
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/bulk/:id/retry',
    {
      schema: {
        tags,
        operationId: 'retryBulk',
        summary: 'Run the devices that failed again (409 when none failed)',
        params: idParam,
        response: { 202: job, ...problemResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => reply.code(202).send(view(await bulk.retry(request.principal!, request.params.id))),
  );
}
