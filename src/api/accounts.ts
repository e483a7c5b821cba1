import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import { isAdmin } from '../domain/principal.js';
import { MAX_STATUS_POLL_SECONDS, MIN_STATUS_POLL_SECONDS } from '../domain/accounts.js';
import { accountId, okJson, problemResponses } from '../http/schemas.js';
import { accountView, tokenView } from '../http/views.js';

/** Accounts, API tokens, the audit log and "who am I". */
export async function accountRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { accounts } = services;

  app.get('/me', { schema: { tags: ['accounts'], operationId: 'getMe', summary: 'Who the caller is', response: { 200: okJson('The caller: user or token, account, admin'), ...problemResponses } } }, async (request) => {
    const p = request.principal!;
    return p.kind === 'user'
      ? { kind: 'user', name: p.name, accountId: p.accountId, admin: p.admin }
      : { kind: 'token', tokenId: p.kind === 'token' ? p.tokenId : null, accountId: p.kind === 'token' ? p.accountId : null, admin: isAdmin(p) };
  });

  app.get('/accounts', { schema: { tags: ['accounts'], operationId: 'listAccounts', summary: 'Accounts the caller can see', response: { 200: okJson('Accounts: { items }'), ...problemResponses } } }, async (request) => ({
    items: (await accounts.listAccounts(request.principal!)).map(accountView),
  }));

  app.post<{ Body: { id: string; name?: string } }>(
    '/accounts',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'createAccount',
        summary: 'Add an account (site admin)',
        body: {
          type: 'object',
          properties: { id: accountId, name: { type: 'string', minLength: 1, maxLength: 200 } },
          required: ['id'],
          additionalProperties: false,
        },
        response: { 201: okJson('The account'), ...problemResponses, 403: { $ref: 'Problem#' }, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => reply.code(201).send(accountView(await accounts.addAccount(request.principal!, request.body.id, request.body.name))),
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; statusPollSeconds?: number | null; supplyLowPercent?: number } }>(
    '/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'updateAccount',
        summary: "Change an account's name, status poll interval or supply-low mark (a site admin, or the account's own operators)",
        params: { type: 'object', properties: { id: accountId }, required: ['id'] },
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            statusPollSeconds: {
              type: ['integer', 'null'],
              minimum: 0,
              maximum: MAX_STATUS_POLL_SECONDS,
              description: `how often the relay polls the account's devices for their status: ${MIN_STATUS_POLL_SECONDS} s or more, 0 never, null the relay's --status-poll`,
            },
            supplyLowPercent: { type: 'integer', minimum: 1, maximum: 99, description: 'a supply at or below this percent is low (alert, filter); default 10' },
          },
          additionalProperties: false,
        },
        response: { 200: okJson('The account'), ...problemResponses },
      },
    },
    async (request) => accountView(await accounts.updateAccount(request.principal!, request.params.id, request.body)),
  );

  const tokenList = { description: 'API tokens, without their secrets', type: 'object', properties: { items: { type: 'array', items: { $ref: 'ApiToken#' } } } } as const;
  app.get('/tokens', { schema: { tags: ['tokens'], operationId: 'listTokens', summary: 'API tokens the caller can see', response: { 200: tokenList, ...problemResponses } } }, async (request) => ({
    items: (await accounts.listTokens(request.principal!)).map(tokenView),
  }));

  app.post<{ Body: { accountId?: string; admin?: boolean; label?: string; expiresInSeconds?: number } }>(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'createToken',
        summary: 'Create an API token; the secret is in this response only',
        body: {
          type: 'object',
          properties: {
            accountId,
            admin: { type: 'boolean' },
            label: { type: 'string', maxLength: 200 },
            expiresInSeconds: { type: 'integer', minimum: 1, maximum: 10 * 365 * 86400 },
          },
          additionalProperties: false,
        },
        response: { 201: okJson('The token with its secret, shown this once'), ...problemResponses, 403: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const { token, info } = await accounts.createToken(request.principal!, request.body ?? {});
      return reply.code(201).send({ ...tokenView(info), token });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'revokeToken',
        summary: 'Revoke an API token; it stops working at once',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        response: { 204: { type: 'null' }, ...problemResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      await accounts.revokeToken(request.principal!, request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/audit',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listAudit',
        summary: 'Recent audit log entries (who changed what)',
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }, additionalProperties: false },
        response: { 200: okJson('Audit entries, newest first: { items }'), ...problemResponses },
      },
    },
    async (request) => {
      const rows = await accounts.auditLog(request.principal!, request.query.limit ?? 100);
      return { items: rows.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) };
    },
  );
}
