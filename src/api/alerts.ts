import type { FastifyInstance } from 'fastify';
import type { AlertService } from '../services/management/alerts.js';
import type { ReportService } from '../services/management/reports.js';
import type { Alert } from '../domain/alerts.js';
import type { Device } from '../domain/devices.js';
import { deviceIdParam, okJson, problemResponses } from '../http/schemas.js';
import { iso } from '../http/views.js';

const tags = ['alerts'];
const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;

/**
 * Alerts as the operator sees them (seed 004 display unit 250): the error text with the
 * device's model, installation place, installing person and contact.
 */
export async function alertRoutes(app: FastifyInstance, { alerts, reports }: { alerts: AlertService; reports: ReportService }): Promise<void> {
  app.get<{ Querystring: { deviceId?: string; limit?: number } }>(
    '/reports',
    {
      schema: {
        tags,
        operationId: 'listReports',
        summary: 'Recent device reports (seed 004), newest first, with their reception numbers',
        querystring: {
          type: 'object',
          properties: { deviceId: deviceIdParam.properties.id, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          additionalProperties: false,
        },
        response: { 200: okJson('Reports, newest first: { items }'), ...problemResponses },
      },
    },
    async (request) => ({
      items: (await reports.list(request.principal!, request.query)).map((r) => ({ ...r, receivedAt: iso(r.receivedAt) })),
    }),
  );

  const view = (a: Alert, d: Device | null) => ({
    id: a.id,
    state: a.state,
    type: a.type,
    code: a.code,
    description: a.description,
    count: a.count,
    deviceId: a.deviceId,
    accountId: a.accountId,
    model: d?.model ?? null,
    serial: d?.serial ?? null,
    registrationNumber: d?.registry.registrationNumber ?? null,
    installationPlace: d?.registry.installationPlace ?? null,
    installer: d?.registry.installer ?? null,
    contact: d?.registry.contact ?? null,
    contactEmail: d?.registry.contactEmail ?? null,
    firstReception: a.firstReception,
    lastReception: a.lastReception,
    openedAt: iso(a.openedAt),
    updatedAt: iso(a.updatedAt),
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    resolvedAt: iso(a.resolvedAt),
    resolvedBy: a.resolvedBy,
  });
  const withDevices = async (list: Alert[]) => (await alerts.withDevices(list)).map(({ alert, device }) => view(alert, device));

  app.get<{ Querystring: { state?: Alert['state']; deviceId?: string; cursor?: number; limit?: number } }>(
    '/alerts',
    {
      schema: {
        tags,
        operationId: 'listAlerts',
        summary: 'Alerts, newest first, with the device fields an operator acts on; page with cursor = the last id seen',
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
            deviceId: deviceIdParam.properties.id,
            cursor: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
          additionalProperties: false,
        },
        response: { 200: okJson('Alerts, newest first: { items, nextCursor }'), ...problemResponses },
      },
    },
    async (request) => {
      const list = await alerts.list(request.principal!, request.query);
      const limit = request.query.limit ?? 100;
      return { items: await withDevices(list), nextCursor: list.length === limit ? list[list.length - 1]!.id : null };
    },
  );

  for (const action of ['acknowledge', 'resolve'] as const)
    app.post<{ Params: { id: number } }>(
      `/alerts/:id/${action}`,
      { schema: { tags, operationId: `${action}Alert`, summary: `${action === 'acknowledge' ? 'Acknowledge' : 'Resolve'} an alert`, params: idParam, response: { 200: okJson('The alert in its new state'), ...problemResponses, 409: { $ref: 'Problem#' } } } },
      async (request) => (await withDevices([await alerts[action](request.principal!, request.params.id)]))[0],
    );
}
