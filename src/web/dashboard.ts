import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import type { AlertService } from '../services/management/alerts.js';
import type { ConsoleKit } from './console.js';
import { html, listTable } from './html.js';

/** The console's first page (issue 15): the fleet at a glance, each figure a link to the list behind it. */
export async function dashboard(app: FastifyInstance, o: { kit: ConsoleKit; services: Services; alerts: AlertService }): Promise<void> {
  const { kit } = o;
  const { devices } = o.services;

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, '/');
    const count = async (online?: boolean) => (await devices.list(s.principal, { online, limit: 1 })).total;
    const [all, online, open] = await Promise.all([count(), count(true), o.alerts.list(s.principal, { state: 'open', limit: 500 })]);
    const byType = new Map<string, number>();
    for (const a of open) byType.set(a.type, (byType.get(a.type) ?? 0) + 1);
    const tile = (id: string, label: string, value: number, href: string) => html`<a class="tile" id="${id}" href="${href}"><strong>${value}</strong> ${label}</a>`;
    const body = html`<div class="tiles">
        ${tile('tile-devices', 'devices', all, '/devices')}${tile('tile-online', 'online', online, '/devices?state=online')}${tile('tile-offline', 'offline', all - online, '/devices?state=offline')}${tile('tile-alerts', `open alert${open.length === 1 ? '' : 's'}${open.length === 500 ? ' or more' : ''}`, open.length, '/alerts')}
      </div>
      <section aria-labelledby="h-alert-kinds"><h3 id="h-alert-kinds">Open alerts by kind</h3>${
        byType.size ? listTable(['Kind', 'Open'], [...byType].sort((a, b) => b[1] - a[1]).map(([type, n]) => ({ attrs: html` data-kind="${type}"`, cells: [type, n] }))) : html`<p>None.</p>`
      }</section>`;
    return kit.send(reply, 200, 'Fleet', body, s);
  });
}
