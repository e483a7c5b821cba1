import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import type { DevicePresence } from '../sessions/device-sessions.js';
import type { Device, DeviceRegistry } from '../domain/devices.js';
import { accountId, capabilities, countedPageOf, deviceIdParam, deviceTags, label, paging, problemResponses, registryFields } from '../http/schemas.js';
import { DEVICE_SORTS, TAG_PATTERN, type DeviceSort } from '../domain/devices.js';
import { VERSION_PATTERN } from '../domain/firmware.js';
import { deviceView, historyView, statusView } from '../http/views.js';
import type { StatusService } from '../services/management/status.js';

const tags = ['devices'];

/** The device registry, northbound: pre-provision, list, show, rotate a token, remove. */
export async function deviceRoutes(app: FastifyInstance, { services, presence, status }: { services: Services; presence: DevicePresence; status: StatusService }): Promise<void> {
  const { devices } = services;
  const view = (d: Device) => deviceView(d, devices.jid(d.id), presence.isOnline(d.id));

  app.post<{ Body: { serial: string; model: string; accountId?: string; capabilities?: Record<string, unknown> } }>(
    '/devices',
    {
      schema: {
        tags,
        operationId: 'createDevice',
        summary: 'Pre-provision a device and its token (factory/dealer path)',
        body: {
          type: 'object',
          properties: { serial: label, model: label, accountId, capabilities },
          required: ['serial', 'model'],
          additionalProperties: false,
        },
        response: { 201: { $ref: 'DeviceCredentials#' }, ...problemResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const { credentials } = await devices.provision(request.principal!, request.body);
      return reply.code(201).send(credentials);
    },
  );

  app.get<{ Querystring: { serial?: string; model?: string; online?: boolean; tag?: string; firmware?: string; supplyLow?: boolean; sort?: DeviceSort; accountId?: string; cursor?: string; limit?: number } }>(
    '/devices',
    {
      schema: {
        tags,
        operationId: 'listDevices',
        summary: 'List devices, filtered and paged',
        querystring: {
          type: 'object',
          properties: {
            serial: label,
            model: label,
            online: { type: 'boolean' },
            tag: { type: 'string', pattern: TAG_PATTERN },
            firmware: { type: 'string', pattern: VERSION_PATTERN },
            supplyLow: { type: 'boolean', description: "a supply at or below its account's supply-low mark (default 10 %) in the last status" },
            sort: { type: 'string', enum: [...DEVICE_SORTS], description: 'id (default), serial, model (then serial), seen (last contact, never first)' },
            accountId,
            ...paging,
          },
          additionalProperties: false,
        },
        response: { 200: countedPageOf('Device'), ...problemResponses },
      },
    },
    async (request) => {
      const page = await devices.list(request.principal!, request.query);
      return { items: page.items.map(view), nextCursor: page.nextCursor, total: page.total };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/devices/:id',
    { schema: { tags, operationId: 'getDevice', summary: 'Show one device', params: deviceIdParam, response: { 200: { $ref: 'Device#' }, ...problemResponses } } },
    async (request) => {
      return view(await devices.get(request.principal!, request.params.id));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/devices/:id/status',
    {
      schema: {
        tags,
        operationId: 'getDeviceStatus',
        summary: "A device's last known supplies, counters, state and errors",
        params: deviceIdParam,
        response: { 200: { $ref: 'DeviceStatus#' }, ...problemResponses },
      },
    },
    async (request) => {
      const d = await devices.get(request.principal!, request.params.id);
      return statusView(d, presence.isOnline(d.id), await status.last(d.id), await status.printer(d.id));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { object?: string; from?: string; to?: string; limit?: number } }>(
    '/devices/:id/history',
    {
      schema: {
        tags,
        operationId: 'getDeviceHistory',
        summary: 'Supply levels (percent) and counters over time, oldest first',
        params: deviceIdParam,
        querystring: {
          type: 'object',
          properties: {
            object: { type: 'string', maxLength: 32, description: 'supply.<index>, counter.total, counter.mono or counter.colour; all when absent' },
            from: { type: 'string', format: 'date-time', description: 'default: 30 days before `to`' },
            to: { type: 'string', format: 'date-time', description: 'default: now' },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: { type: 'object', properties: { object: { type: 'string' }, at: { type: 'string', format: 'date-time' }, value: { type: 'number' } }, required: ['object', 'at', 'value'] },
              },
            },
            required: ['items'],
          },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const points = await status.history(request.principal!, request.params.id, {
        object: q.object,
        from: q.from === undefined ? undefined : Date.parse(q.from),
        to: q.to === undefined ? undefined : Date.parse(q.to),
        limit: q.limit,
      });
      return { items: points.map(historyView) };
    },
  );

  app.patch<{ Params: { id: string }; Body: Partial<DeviceRegistry> & { tags?: string[] } }>(
    '/devices/:id',
    {
      schema: {
        tags,
        operationId: 'updateDevice',
        summary: 'Edit registry fields (registration number, installation place, installing person, contact, contact e-mail) and tags',
        params: deviceIdParam,
        body: { type: 'object', properties: { ...registryFields, tags: deviceTags }, additionalProperties: false, minProperties: 1 },
        response: { 200: { $ref: 'Device#' }, ...problemResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request) => view(await devices.update(request.principal!, request.params.id, request.body)),
  );

  app.post<{ Params: { id: string } }>(
    '/devices/:id/rotate-token',
    {
      schema: {
        tags,
        operationId: 'rotateDeviceToken',
        summary: 'Replace the device token; the old one stops working at once',
        params: deviceIdParam,
        response: { 200: { $ref: 'DeviceCredentials#' }, ...problemResponses },
      },
    },
    async (request) => devices.rotateToken(request.principal!, request.params.id),
  );

  app.delete<{ Params: { id: string } }>(
    '/devices/:id',
    { schema: { tags, operationId: 'deleteDevice', summary: 'Remove a device', params: deviceIdParam, response: { 204: { type: 'null' }, ...problemResponses } } },
    async (request, reply) => {
      await devices.remove(request.principal!, request.params.id);
      return reply.code(204).send();
    },
  );
}
