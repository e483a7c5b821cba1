import { sendCsv } from '../http/csv.js';
import type { FastifyInstance } from 'fastify';
import { isFinished, JOB_STATES, type JobState } from '../domain/print.js';
import type { Services } from '../services/index.js';
import type { PrintService } from '../services/print/print.js';
import { csrfField, when, type ConsoleKit } from './console.js';
import { html, listTable } from './html.js';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

/**
 * The console's printer, job and billing pages (issue 15): printers with their accepting-jobs flag
 * and state, jobs with their state history and cancel, and the billing CSV for a period.
 */
export async function printPages(app: FastifyInstance, o: { kit: ConsoleKit; services: Services; print: PrintService }): Promise<void> {
  const { kit, print } = o;
  const hide = { hide: true };

  app.get<{ Querystring: { cursor?: string } }>(
    '/printers',
    { schema: { ...hide, querystring: { type: 'object', properties: { cursor: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]*$' } }, additionalProperties: false } } },
    async (request, reply) => {
      const s = await kit.signedIn(request);
      if (!s) return kit.toLogin(reply, request.url);
      const page = await print.printers(s.principal, { cursor: request.query.cursor, limit: 100 });
      const rows = page.items.map(({ device: d, state, online }) => ({
        attrs: html` data-printer="${d.id}"`,
        cells: [html`<a href="/devices/${d.id}"><code>${d.id}</code></a>`, d.model, d.serial, state.accepting ? 'accepting jobs' : 'not accepting', state.status ?? '-', online ? 'online' : 'offline', html`<a href="/jobs?printer=${d.id}">Jobs</a>`],
      }));
      const body = page.total
        ? html`${listTable(['Printer', 'Model', 'Serial', 'Jobs', 'Status', 'Connection', ''], rows)}<p class="paging">${page.total} printers${page.nextCursor ? html`<a rel="next" href="/printers?cursor=${page.nextCursor}">Next page</a>` : ''}</p>`
        : html`<p>No printers yet: a device becomes one when it says whether it accepts jobs.</p>`;
      return kit.send(reply, 200, 'Printers', body, s);
    },
  );

  app.get<{ Querystring: { printer?: string; state?: JobState | '' } }>(
    '/jobs',
    { schema: { ...hide, querystring: { type: 'object', properties: { printer: { type: 'string', maxLength: 64 }, state: { type: 'string', enum: [...JOB_STATES, ''] } }, additionalProperties: false } } },
    async (request, reply) => {
      const s = await kit.signedIn(request);
      if (!s) return kit.toLogin(reply, request.url);
      const q = request.query;
      const jobs = await print.jobs(s.principal, { deviceId: q.printer || undefined, state: q.state || undefined, limit: 200 });
      const filter = html`<form method="get" action="/jobs" class="filters"><div><label for="printer">Printer</label><input id="printer" name="printer" value="${q.printer ?? ''}"></div>
        <div><label for="state">State</label><select id="state" name="state">${['', ...JOB_STATES].map((v) => html`<option value="${v}"${q.state === v ? html` selected` : ''}>${v || 'any'}</option>`)}</select></div><div><button type="submit">Filter</button></div></form>`;
      const rows = jobs.map((j) => ({
        attrs: html` data-job="${j.id}" data-state="${j.state}"`,
        cells: [html`<a href="/jobs/${j.id}"><code>${j.id}</code></a>`, j.name, html`<a href="/devices/${j.deviceId}"><code>${j.deviceId}</code></a>`, html`<span data-live-job="${j.id}">${j.state}</span>`, when(j.createdAt)],
      }));
      return kit.send(reply, 200, 'Print jobs', html`${filter}${jobs.length ? listTable(['Job', 'Document', 'Printer', 'State', 'Created'], rows) : html`<p>No jobs.</p>`}`, s);
    },
  );

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: { ...hide, params: idParams } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, request.url);
    try {
      const { job: j, events } = await print.job(s.principal, request.params.id);
      const body = html`<dl class="fields"><dt>Document</dt><dd>${j.name} (${j.documentType}, ${j.documentSize} bytes)</dd><dt>Printer</dt><dd><a href="/devices/${j.deviceId}"><code>${j.deviceId}</code></a></dd>
        <dt>State</dt><dd id="job-state" data-live-job="${j.id}">${j.state}</dd><dt>Copies</dt><dd>${j.ticket.copies}</dd><dt>From</dt><dd>${j.source}, ${j.createdBy}</dd></dl>
        <h3>History</h3>${listTable(['When', 'State', 'Detail'], events.map((e) => ({ cells: [when(e.at), e.state, e.detail ?? ''] })))}
        ${isFinished(j.state) ? '' : html`<form method="post" action="/jobs/${j.id}/cancel" id="cancel-form">${csrfField(s)}<button type="submit">Cancel the job</button></form>`}`;
      return kit.send(reply, 200, `Job ${j.id}`, body, s);
    } catch (err) {
      return kit.refused(reply, 'Print job', err, '/jobs', s);
    }
  });

  kit.form<{ id: string }>(app, '/jobs/:id/cancel', { title: 'Print job', back: (p) => `/jobs/${p.id}`, params: idParams }, async (s, p, _body, reply) => {
    await print.cancel(s.principal, p.id);
    return reply.redirect(`/jobs/${p.id}`, 303);
  });

  app.get('/billing', { schema: hide }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, '/billing');
    const today = new Date(o.services.ctx.clock.now());
    const first = (m: number) => new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + m, 1)).toISOString().slice(0, 10);
    const body = html`<p>One CSV line per device for the period: the start, end and difference of its total, mono and colour counters (seed 004's counter reports). Dates are midnight in the relay's time zone.</p>
      <form method="get" action="/billing.csv" class="filters" id="billing-form"><div><label for="from">From</label><input id="from" name="from" type="date" value="${first(-1)}" required></div>
      <div><label for="to">To (not included)</label><input id="to" name="to" type="date" value="${first(0)}" required></div><div><button type="submit">Download CSV</button></div></form>`;
    return kit.send(reply, 200, 'Billing', body, s);
  });

  app.get<{ Querystring: { from: string; to: string } }>(
    '/billing.csv',
    { schema: { ...hide, querystring: { type: 'object', properties: { from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 } }, required: ['from', 'to'], additionalProperties: false } } },
    async (request, reply) => {
      const s = await kit.signedIn(request);
      if (!s) return kit.toLogin(reply, '/billing');
      try {
        return await sendCsv(reply, o.services.billing.csv(s.principal, request.query.from, request.query.to), `billing-${request.query.from}-${request.query.to}.csv`);
      } catch (err) {
        return kit.refused(reply, 'Billing', err, '/billing', s);
      }
    },
  );
}
