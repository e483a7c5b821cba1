import type { FastifyInstance } from 'fastify';
import type { FaxSwitchboard } from '../services/fax/switchboard.js';
import type { Services } from '../services/index.js';
import { when, type ConsoleKit } from './console.js';
import { html, listTable } from './html.js';

/** The console's fax page (issue 15): the fax users (seed 001's identifying information) and which are logged in now, with how many connections. */
export async function faxPage(app: FastifyInstance, o: { kit: ConsoleKit; services: Services; board: FaxSwitchboard }): Promise<void> {
  const { kit } = o;
  app.get<{ Querystring: { cursor?: string } }>(
    '/fax',
    { schema: { hide: true, querystring: { type: 'object', properties: { cursor: { type: 'string', maxLength: 64 } }, additionalProperties: false } } },
    async (request, reply) => {
      const s = await kit.signedIn(request);
      if (!s) return kit.toLogin(reply, request.url);
      const users = await o.services.faxUsers.list(s.principal, { cursor: request.query.cursor, limit: 200 });
      const rows = users.map((u) => {
        const n = o.board.connectionsOf(u.id);
        return { attrs: html` data-fax-user="${u.id}"`, cells: [html`<code>${u.id}</code>`, u.accountId, n > 0 ? `logged in (${n} connection${n === 1 ? '' : 's'})` : 'not logged in', when(u.createdAt)] };
      });
      const next = users.length === 200 ? html`<p class="paging"><a rel="next" href="/fax?cursor=${users.at(-1)!.id}">Next page</a></p>` : '';
      const body = users.length
        ? html`${listTable(['Fax user', 'Account', 'Connection', 'Added'], rows)}${next}`
        : html`<p>No fax users yet: <code>fleetrelay fax user add &lt;user&gt;</code> gives a fax machine its login.</p>`;
      return kit.send(reply, 200, 'Fax', body, s);
    },
  );
}
