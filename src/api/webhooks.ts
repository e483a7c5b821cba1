import type { FastifyInstance } from 'fastify';
import { WEBHOOK_EVENTS, type WebhookService } from '../services/management/webhooks.js';
import type { Webhook } from '../domain/webhooks.js';
import { accountId, okJson, problemResponses } from '../http/schemas.js';
import { iso } from '../http/views.js';

const tags = ['webhooks'];
const view = (h: Webhook) => ({ id: h.id, accountId: h.accountId, url: h.url, events: h.events, createdAt: iso(h.createdAt) });

/**
 * Webhooks for alert.opened and order.received: JSON POSTs with X-FleetRelay-Signature =
 * sha256=HMAC(secret, "<X-FleetRelay-Timestamp>.<body>"), retried with back-off.
 */
export async function webhookRoutes(app: FastifyInstance, { webhooks }: { webhooks: WebhookService }): Promise<void> {
  app.get('/webhooks', { schema: { tags, operationId: 'listWebhooks', summary: 'Webhooks the caller can see (secrets are not shown)', response: { 200: okJson('Webhooks: { items }'), ...problemResponses } } }, async (request) => ({
    items: (await webhooks.list(request.principal!)).map(view),
  }));

  app.post<{ Body: { url: string; events: string[]; accountId?: string } }>(
    '/webhooks',
    {
      schema: {
        tags,
        operationId: 'createWebhook',
        summary: 'Add a webhook; its signing secret is in this response only. Loopback and private targets are refused.',
        body: {
          type: 'object',
          properties: {
            url: { type: 'string', maxLength: 2000 },
            events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] }, minItems: 1, maxItems: WEBHOOK_EVENTS.length },
            accountId,
          },
          required: ['url', 'events'],
          additionalProperties: false,
        },
        response: { 201: okJson('The webhook with its signing secret, shown this once'), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { hook, secret } = await webhooks.create(request.principal!, request.body);
      return reply.code(201).send({ ...view(hook), secret });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/webhooks/:id',
    { schema: { tags, operationId: 'deleteWebhook', summary: 'Remove a webhook', params: { type: 'object', properties: { id: { type: 'string', maxLength: 40 } }, required: ['id'] }, response: { 204: { type: 'null' }, ...problemResponses } } },
    async (request, reply) => {
      await webhooks.remove(request.principal!, request.params.id);
      return reply.code(204).send();
    },
  );
}
