import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import type { AlertService } from '../services/management/alerts.js';
import type { FleetService } from '../services/management/fleet.js';
import type { ConsoleKit } from './console.js';
import { html, listTable } from './html.js';
import { barChart, gauge, lineChart } from './svg.js';

/** Days the dashboard's charts cover. */
const ONLINE_DAYS = 7;
const DAILY_DAYS = 30;

/**
 * The console's first page (issue 15): the fleet now (each figure a link to the list behind it),
 * devices online over the last week, jobs and pages a day, the supplies running out first, and
 * open alerts by kind.
 */
export async function dashboard(app: FastifyInstance, o: { kit: ConsoleKit; services: Services; alerts: AlertService; fleet: FleetService }): Promise<void> {
  const { kit } = o;
  const { devices } = o.services;

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, '/');
    const p = s.principal;
    const count = async (f: { online?: boolean; supplyLow?: boolean }) => (await devices.list(p, { ...f, limit: 1 })).total;
    const [all, online, low, open, samples, days, runningLow] = await Promise.all([
      count({}),
      count({ online: true }),
      count({ supplyLow: true }),
      o.alerts.list(p, { state: 'open', limit: 500 }),
      o.fleet.online(p, ONLINE_DAYS),
      o.fleet.days(p, DAILY_DAYS),
      o.fleet.runningLow(p, 10),
    ]);
    const byType = new Map<string, number>();
    for (const a of open) byType.set(a.type, (byType.get(a.type) ?? 0) + 1);
    const tile = (id: string, label: string, value: number, href: string) => html`<a class="tile" id="${id}" href="${href}"><strong>${value}</strong> ${label}</a>`;
    const body = html`<div class="tiles">
        ${tile('tile-devices', 'devices', all, '/devices')}${tile('tile-online', 'online', online, '/devices?state=online')}${tile('tile-offline', 'offline', all - online, '/devices?state=offline')}${tile('tile-alerts', `open alert${open.length === 1 ? '' : 's'}${open.length === 500 ? ' or more' : ''}`, open.length, '/alerts')}${tile('tile-low', 'with a supply low', low, '/devices?supply=low')}
      </div>
      <section aria-labelledby="h-online"><h3 id="h-online">Devices online, last ${ONLINE_DAYS} days</h3>${lineChart('Devices online', samples.map((x) => ({ at: x.at, value: x.online })))}</section>
      <section aria-labelledby="h-daily"><h3 id="h-daily">Jobs and pages a day, last ${DAILY_DAYS} days</h3>
        <h4>Print jobs</h4><div id="chart-jobs">${barChart('Print jobs a day', days.map((d) => ({ day: d.day, value: d.jobs })))}</div>
        <h4>Pages printed</h4><div id="chart-pages">${barChart('Pages printed a day', days.map((d) => ({ day: d.day, value: d.pages })))}</div></section>
      <section aria-labelledby="h-low"><h3 id="h-low">Supplies running out</h3>${
        runningLow.length
          ? listTable(
              ['Device', 'Supply', 'Level', 'Days left'],
              runningLow.map((r) => ({
                attrs: html` data-low="${r.device.id}"`,
                cells: [
                  html`<a href="/devices/${r.device.id}">${r.device.model} <span class="serial">${r.device.serial}</span></a>`,
                  r.supply.description || `supply ${r.supply.index}`,
                  html`${r.supply.percent} % ${gauge(r.supply.description, r.supply.percent)}`,
                  r.daysLeft === null ? 'not going down' : r.daysLeft < 1 ? 'under a day' : `about ${Math.round(r.daysLeft)}`,
                ],
              })),
            )
          : html`<p>No supply at or below 25 %.</p>`
      }</section>
      <section aria-labelledby="h-alert-kinds"><h3 id="h-alert-kinds">Open alerts by kind</h3>${
        byType.size ? listTable(['Kind', 'Open'], [...byType].sort((a, b) => b[1] - a[1]).map(([type, n]) => ({ attrs: html` data-kind="${type}"`, cells: [type, n] }))) : html`<p>None.</p>`
      }</section>`;
    return kit.send(reply, 200, 'Fleet', body, s);
  });
}
