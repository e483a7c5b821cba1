import type { FastifyInstance } from 'fastify';
import type { AlertService } from '../services/management/alerts.js';
import { invalid, ServiceError } from '../services/kernel/errors.js';
import type { Clock } from '../domain/clock.js';
import { csrfField, when, type ConsoleKit } from './console.js';
import { html, listTable } from './html.js';

/** Alerts one bulk action may take. */
const MAX_SELECTED = 200;

/** How long ago, in the largest whole unit. */
export function age(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  return m < 60 ? `${m} min` : m < 2880 ? `${Math.floor(m / 60)} h` : `${Math.floor(m / 1440)} d`;
}

/**
 * The alert queue (seed 004 display unit 250: the error with the device's model, place,
 * installer and contact; issue 15: kind, age, and acknowledging or resolving many at once).
 * Each row's checkbox belongs to the bulk form above the table (HTML forms do not nest).
 */
export async function alertsPage(app: FastifyInstance, o: { kit: ConsoleKit; alerts: AlertService; clock: Clock }): Promise<void> {
  const { kit, alerts } = o;

  app.get('/alerts', { schema: { hide: true } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, '/alerts');
    const now = o.clock.now();
    const active = [...(await alerts.list(s.principal, { state: 'open', limit: 200 })), ...(await alerts.list(s.principal, { state: 'acknowledged', limit: 200 }))];
    const rows = (await alerts.withDevices(active)).map(({ alert: a, device: d }) => {
      const action = (name: string, label: string) =>
        html`<form method="post" action="/alerts/${a.id}/${name}" class="inline">${csrfField(s)}<button type="submit" data-alert="${a.id}" data-action="${name}">${label}</button></form>`;
      // Alerts of one model and one error differ only by their device: say which, by serial, model and ID.
      const device = d ? html`${d.model} <span class="serial">serial ${d.serial}</span> <a href="/devices/${d.id}"><code>${d.id}</code></a>` : html`<code>${a.deviceId}</code> (removed)`;
      return {
        attrs: html` id="alert-${a.id}" data-state="${a.state}"`,
        cells: [
          html`<input type="checkbox" name="id" value="${a.id}" form="alerts-bulk" aria-label="Select alert ${a.id}">`,
          a.state,
          a.type,
          html`${a.description}${a.count > 1 ? html` <small>×${a.count}</small>` : ''}`,
          device,
          d?.registry.installationPlace ?? '-',
          d?.registry.installer ?? '-',
          d?.registry.contact ?? d?.registry.contactEmail ?? '-',
          html`<span title="${when(a.openedAt)}">${age(now - a.openedAt)}</span>`,
          html`${a.state === 'open' ? action('acknowledge', 'Acknowledge') : ''}${action('resolve', 'Resolve')}`,
        ],
      };
    });
    const bulk = html`<form method="post" action="/alerts/bulk" id="alerts-bulk" class="bulk">${csrfField(s)}
      <div><button type="submit" name="action" value="acknowledge">Acknowledge selected</button> <button type="submit" name="action" value="resolve">Resolve selected</button></div></form>`;
    return kit.send(
      reply,
      200,
      'Alerts',
      active.length ? html`${bulk}${listTable(['', 'State', 'Kind', 'Error', 'Device', 'Installation place', 'Installing person', 'Contact', 'Age', ''], rows)}` : html`<p>No open alerts.</p>`,
      s,
    );
  });

  kit.form(app, '/alerts/bulk', { title: 'Alerts', back: () => '/alerts' }, async (s, _p, b, reply) => {
    const ids = ([] as unknown[]).concat((b as Record<string, unknown>).id ?? []).map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
    if (ids.length === 0) throw invalid('select at least one alert');
    if (ids.length > MAX_SELECTED) throw invalid(`at most ${MAX_SELECTED} alerts at once`);
    const act = b.action === 'resolve' ? (id: number) => alerts.resolve(s.principal, id) : (id: number) => alerts.acknowledge(s.principal, id);
    const failed: string[] = [];
    for (const id of ids)
      await act(id).catch((err: unknown) => {
        if (!(err instanceof ServiceError)) throw err;
        failed.push(`${id}: ${err.message}`);
      });
    if (failed.length === 0) return reply.redirect('/alerts', 303);
    return kit.send(reply, 409, 'Alerts', html`<p class="error" role="alert">${ids.length - failed.length} done; not done:</p><ul>${failed.map((f) => html`<li>${f}</li>`)}</ul><p><a href="/alerts">Back to alerts</a></p>`, s);
  });

  kit.form<{ id: string; action: string }>(
    app,
    '/alerts/:id/:action',
    { title: 'Alerts', back: () => '/alerts', params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 }, action: { type: 'string', enum: ['acknowledge', 'resolve'] } } } },
    async (s, p, _b, reply) => {
      if (p.action === 'acknowledge') await alerts.acknowledge(s.principal, Number(p.id));
      else await alerts.resolve(s.principal, Number(p.id));
      return reply.redirect('/alerts', 303);
    },
  );
}
