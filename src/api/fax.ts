import type { FastifyInstance } from 'fastify';
import { MAX_CONNECTIONS_PER_USER } from '../domain/fax.js';
import { accountScope } from '../domain/principal.js';
import type { FaxSwitchboard } from '../services/fax/switchboard.js';
import type { FaxUserService, PublicFaxUser } from '../services/fax/users.js';
import { accountId, okJson, problemResponses } from '../http/schemas.js';
import { iso } from '../http/views.js';

const tags = ['fax'];
const userIdParam = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;
const settings = {
  type: 'object',
  properties: { displayName: { type: 'string', maxLength: 100 }, maxConnections: { type: 'integer', minimum: 1, maximum: MAX_CONNECTIONS_PER_USER } },
  additionalProperties: false,
} as const;
const password = { type: 'string', minLength: 8, maxLength: 1024 } as const;

/** Fax users (seed 001 identifying information) and the live connection information (unit 42). */
export async function faxRoutes(app: FastifyInstance, { users, board }: { users: FaxUserService; board: FaxSwitchboard }): Promise<void> {
  const view = (u: PublicFaxUser) => {
    const connections = board.connectionsOf(u.id);
    return { id: u.id, accountId: u.accountId, settings: u.settings, loggedIn: connections > 0, connections, createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt) };
  };

  app.get<{ Querystring: { accountId?: string; cursor?: string; limit?: number } }>(
    '/fax/users',
    {
      schema: {
        tags,
        operationId: 'listFaxUsers',
        summary: 'Fax users the caller can see, by user ID',
        querystring: { type: 'object', properties: { accountId, cursor: { type: 'string', maxLength: 64 }, limit: { type: 'integer', minimum: 1, maximum: 500 } }, additionalProperties: false },
        response: { 200: okJson('Fax users: { items, nextCursor }'), ...problemResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const items = await users.list(request.principal!, { ...request.query, limit });
      return { items: items.map(view), next: items.length === limit ? items.at(-1)!.id : null };
    },
  );

  app.post<{ Body: { id: string; password: string; accountId?: string; settings?: object } }>(
    '/fax/users',
    {
      schema: {
        tags,
        operationId: 'createFaxUser',
        summary: 'Add a fax user (a fax machine’s login)',
        body: { type: 'object', properties: { id: { type: 'string', maxLength: 64 }, password, accountId, settings }, required: ['id', 'password'], additionalProperties: false },
        response: { 201: okJson('The fax user'), ...problemResponses },
      },
    },
    async (request, reply) => reply.code(201).send(view(await users.add(request.principal!, request.body))),
  );

  app.get<{ Params: { id: string } }>('/fax/users/:id', { schema: { tags, operationId: 'getFaxUser', summary: 'One fax user', params: userIdParam, response: { 200: okJson('The fax user'), ...problemResponses } } }, async (request) =>
    view(await users.get(request.principal!, request.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: { password?: string; settings?: object } }>(
    '/fax/users/:id',
    {
      schema: {
        tags,
        operationId: 'updateFaxUser',
        summary: 'Change a fax user’s password or settings; a new password logs its connections out',
        params: userIdParam,
        body: { type: 'object', properties: { password, settings }, additionalProperties: false },
        response: { 200: okJson('The fax user'), ...problemResponses },
      },
    },
    async (request) => {
      const u = await users.update(request.principal!, request.params.id, request.body);
      if (request.body.password !== undefined) board.logoutUser(u.id, 'password changed');
      return view(u);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/fax/users/:id',
    { schema: { tags, operationId: 'deleteFaxUser', summary: 'Remove a fax user; its connections are closed', params: userIdParam, response: { 204: { type: 'null' }, ...problemResponses } } },
    async (request, reply) => {
      const u = await users.remove(request.principal!, request.params.id);
      board.logoutUser(u.id, 'user removed');
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { accountId?: string } }>(
    '/fax/connections',
    {
      schema: {
        tags,
        operationId: 'listFaxConnections',
        summary: 'Connection information: logged-in fax users’ connections, vacant or paired and with whom, bytes relayed',
        querystring: { type: 'object', properties: { accountId }, additionalProperties: false },
        response: { 200: okJson('Connections: { items }'), ...problemResponses },
      },
    },
    async (request) => ({ items: board.snapshot(accountScope(request.principal!, request.query.accountId)).filter((l) => l.user !== null) }),
  );
}
