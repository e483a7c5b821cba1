import type { FastifyInstance } from 'fastify';
import type { Device } from '../domain/devices.js';
import { DEVICE_SORTS, TAG_PATTERN, type DeviceSort } from '../domain/devices.js';
import { complianceOf, isVersion } from '../domain/firmware.js';
import { SMI_TYPES } from '../domain/push.js';
import { isAdmin } from '../domain/principal.js';
import { STATUS_OID, SYSTEM_OID } from '../domain/status.js';
import { ServiceError } from '../services/kernel/errors.js';
import { sendCsv } from '../http/csv.js';
import type { SignedIn } from '../services/identity/auth.js';
import type { Services } from '../services/index.js';
import type { AlertService } from '../services/management/alerts.js';
import type { BulkInput, BulkService } from '../services/management/bulk.js';
import type { StatusService } from '../services/management/status.js';
import type { PrintService } from '../services/print/print.js';
import type { PushService } from '../services/push/push.js';
import type { DevicePresence } from '../sessions/device-sessions.js';
import { csrfField, when, type ConsoleKit } from './console.js';
import { html, listTable, type Html } from './html.js';
import { gauge, lineChart } from './svg.js';

/** Devices per page of the device list. */
const DEVICE_PAGE = 100;
const CSV_MAX = 100_000;

interface ListQuery {
  q?: string;
  state?: 'online' | 'offline' | '';
  model?: string;
  tag?: string;
  account?: string;
  supply?: 'low' | '';
  firmware?: string;
  sort?: DeviceSort;
  cursor?: string;
  start?: number;
}

const SORT_NAMES: Record<DeviceSort, string> = { id: 'device ID', serial: 'serial', model: 'model', seen: 'last contact, oldest first' };

const listQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 64 },
    state: { type: 'string', enum: ['online', 'offline', ''] },
    model: { type: 'string', maxLength: 64 },
    tag: { type: 'string', maxLength: 32 },
    account: { type: 'string', maxLength: 64 },
    supply: { type: 'string', enum: ['low', ''] },
    firmware: { type: 'string', maxLength: 40 },
    sort: { type: 'string', enum: [...DEVICE_SORTS] },
    cursor: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]*$' },
    start: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const;

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

/** The device list's filter as the service takes it (empty fields are no filter). */
const filterOf = (q: ListQuery) => ({
  search: q.q?.trim() || undefined,
  online: q.state === 'online' ? true : q.state === 'offline' ? false : undefined,
  model: q.model?.trim() || undefined,
  tag: q.tag?.trim() && new RegExp(TAG_PATTERN).test(q.tag.trim()) ? q.tag.trim() : undefined,
  accountId: q.account?.trim() || undefined,
  supplyLow: q.supply === 'low' || undefined,
  firmware: q.firmware?.trim() && isVersion(q.firmware.trim()) ? q.firmware.trim() : undefined,
  sort: q.sort,
});

const FILTER_KEYS = ['q', 'state', 'model', 'tag', 'account', 'supply', 'firmware', 'sort'] as const;

/** The filter as a query string, for links that keep it. */
const filterParams = (q: ListQuery): string => {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (q[k]) p.set(k, String(q[k]));
  return p.toString();
};

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/**
 * The device pages of the console (issue 15): the list with search, filters, paging with totals,
 * CSV export and bulk actions on the filtered set, and a device's page with its registration,
 * live state, supplies, counters over time, alerts, jobs, a live GET and its token and removal.
 */
export async function devicePages(
  app: FastifyInstance,
  o: { kit: ConsoleKit; services: Services; presence: DevicePresence; status: StatusService; alerts: AlertService; print: PrintService; push: PushService; bulk: BulkService },
): Promise<void> {
  const { kit, services } = o;
  const { devices } = services;
  const hide = { hide: true };

  const filterForm = (s: SignedIn, q: ListQuery): Html => html`<form method="get" action="/devices" class="filters" role="search">
    <div><label for="q">Serial or device ID</label><input id="q" name="q" value="${q.q ?? ''}" placeholder="serial starts with…"></div>
    <div><label for="state">State</label><select id="state" name="state">${(['', 'online', 'offline'] as const).map((v) => html`<option value="${v}"${q.state === v ? html` selected` : ''}>${v || 'any'}</option>`)}</select></div>
    <div><label for="model">Model</label><input id="model" name="model" value="${q.model ?? ''}"></div>
    <div><label for="tag">Tag</label><input id="tag" name="tag" value="${q.tag ?? ''}"></div>
    <div><label for="firmware">Firmware</label><input id="firmware" name="firmware" value="${q.firmware ?? ''}"></div>
    <div><label for="supply">Supplies</label><select id="supply" name="supply"><option value="">any</option><option value="low"${q.supply === 'low' ? html` selected` : ''}>one low</option></select></div>
    ${isAdmin(s.principal) ? html`<div><label for="account">Account</label><input id="account" name="account" value="${q.account ?? ''}"></div>` : ''}
    <div><label for="sort">Order by</label><select id="sort" name="sort">${DEVICE_SORTS.map((v) => html`<option value="${v}"${(q.sort ?? 'id') === v ? html` selected` : ''}>${SORT_NAMES[v]}</option>`)}</select></div>
    <div><button type="submit">Filter</button></div>
  </form>`;

  const bulkForm = (s: SignedIn, q: ListQuery, total: number): Html => html`<form method="post" action="/devices/bulk" class="bulk" id="bulk">
    <h3>Change the devices ticked, or (none ticked) all ${total} matching</h3>${csrfField(s)}
    ${FILTER_KEYS.map((k) => html`<input type="hidden" name="${k}" value="${q[k] ?? ''}">`)}
    <div><label for="bulk-action">Action</label><select id="bulk-action" name="action">
      <option value="location">Set location (sysLocation)</option><option value="contact">Set contact (sysContact)</option>
      <option value="tag-add">Add tag</option><option value="tag-remove">Remove tag</option><option value="firmware">Assign firmware version</option></select></div>
    <div><label for="bulk-value">Value</label><input id="bulk-value" name="value" required maxlength="200"></div>
    <div><label><input type="checkbox" name="queue" value="1"> Queue for offline devices (a day)</label></div>
    <div><button type="submit">Apply</button></div>
  </form>`;

  app.get<{ Querystring: ListQuery }>('/devices', { schema: { ...hide, querystring: listQuery } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, request.url);
    const q = request.query;
    const start = q.cursor ? (q.start ?? 1) : 1;
    const { items, nextCursor, total } = await devices.list(s.principal, { ...filterOf(q), cursor: q.cursor, limit: DEVICE_PAGE });
    const kept = filterParams(q);
    const table = listTable(
      ['', 'Device', 'Model', 'Serial', 'Firmware', 'Tags', 'Account', 'State', 'Last contact'],
      items.map((d) => ({
        attrs: html` data-device="${d.id}"`,
        cells: [html`<input type="checkbox" name="device" value="${d.id}" form="bulk" aria-label="Select ${d.model} ${d.serial}">`, html`<a href="/devices/${d.id}"><code>${d.id}</code></a>`, d.model, d.serial, d.firmwareVersion ?? '-', d.tags.join(', ') || '-', d.accountId, html`<span data-live-presence="${d.id}">${o.presence.isOnline(d.id) ? 'online' : 'offline'}</span>`, when(d.lastSeenAt)],
      })),
    );
    const shown = items.length ? `${start}–${start + items.length - 1} of ${total}` : `none of ${total}`;
    const paging = html`<p class="paging" id="paging">Devices ${shown}${
      nextCursor ? html`<a rel="next" href="/devices?${kept ? `${kept}&` : ''}cursor=${nextCursor}&start=${start + items.length}">Next page</a>` : ''
    }${q.cursor ? html`<a rel="first" href="/devices${kept ? `?${kept}` : ''}">First page</a>` : ''}<a href="/devices.csv${kept ? `?${kept}` : ''}" download>Export CSV</a></p>`;
    const empty = total === 0 && !kept ? html`<p>No devices yet. A device shows a PIN and a link when it registers; open the link to claim it.</p>` : html`${table}${paging}`;
    return kit.send(reply, 200, 'Devices', html`${filterForm(s, q)}${empty}${total > 0 ? bulkForm(s, q, total) : ''}`, s);
  });

  app.get<{ Querystring: ListQuery }>('/devices.csv', { schema: { ...hide, querystring: listQuery } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, request.url);
    const filter = filterOf(request.query);
    const principal = s.principal;
    async function* lines(): AsyncGenerator<string> {
      yield 'device_id,account_id,model,serial,tags,online,last_seen_at,firmware_version,installation_place\r\n';
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = await devices.list(principal, { ...filter, cursor, limit: 500 });
        for (const d of page.items)
          yield [d.id, d.accountId, d.model, d.serial, d.tags.join(' '), o.presence.isOnline(d.id), d.lastSeenAt === null ? '' : new Date(d.lastSeenAt).toISOString(), d.firmwareVersion, d.registry.installationPlace].map(csvCell).join(',') + '\r\n';
        n += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor && n < CSV_MAX);
    }
    return sendCsv(reply, lines(), 'devices.csv');
  });

  kit.form(app, '/devices/bulk', { title: 'Devices', back: () => '/devices' }, async (s, _params, b, reply) => {
    const value = String(b.value ?? '');
    // Rows ticked are the devices; with none ticked, every device the list's filter matches.
    const ticked = ([] as unknown[]).concat((b as Record<string, unknown>).device ?? []).map(String).slice(0, DEVICE_PAGE);
    const { sort: _, ...matching } = filterOf({ q: b.q, state: b.state as ListQuery['state'], model: b.model, tag: b.tag, account: b.account, supply: b.supply as ListQuery['supply'], firmware: b.firmware });
    const filter = ticked.length ? { deviceIds: ticked } : matching;
    const input: BulkInput =
      b.action === 'tag-add' || b.action === 'tag-remove'
        ? { action: 'tags', filter, [b.action === 'tag-add' ? 'add' : 'remove']: [value.trim()] }
        : b.action === 'firmware'
        ? { action: 'firmware', filter, version: value.trim() }
        : { action: 'set', filter, objects: [{ oid: b.action === 'contact' ? SYSTEM_OID.sysContact : SYSTEM_OID.sysLocation, type: 'string', value }], ...(b.queue ? { queueOfflineSeconds: 86400 } : {}) };
    const { job } = await o.bulk.start(s.principal, input);
    return reply.redirect(`/bulk/${job.id}`, 303);
  });

  app.get<{ Params: { id: string } }>('/bulk/:id', { schema: { ...hide, params: idParams } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, request.url);
    try {
      const { job, counts } = await o.bulk.get(s.principal, request.params.id);
      const results = await o.bulk.results(s.principal, job.id, { limit: 500 });
      const a = job.params;
      const what =
        a.action === 'set' ? `SET ${a.objects.map((x) => `${x.oid} = ${x.value}`).join(', ')}`
        : a.action === 'tags' ? `tags +${a.add.join(',') || '-'} −${a.remove.join(',') || '-'}`
        : a.action === 'firmware' ? (a.version === null ? 'firmware assignment taken back' : `firmware ${a.version} assigned`)
        : 'remove';
      const body = html`<p id="bulk-state" data-state="${job.state}">${what}: <strong>${job.state}</strong> — ${counts.ok} done, ${counts.queued} queued, ${counts.failed} failed, ${counts.pending} to go.
        ${job.state === 'running' ? html`<a href="/bulk/${job.id}">Reload</a>` : ''}</p>
        ${listTable(['Device', 'Result', 'Detail'], results.map((r) => ({ attrs: html` data-result="${r.state}"`, cells: [html`<a href="/devices/${r.deviceId}"><code>${r.deviceId}</code></a>`, r.state, r.detail ?? ''] })))}
        ${counts.failed > 0 && job.state === 'done' ? html`<form method="post" action="/bulk/${job.id}/retry">${csrfField(s)}<button type="submit">Retry the failed devices</button></form>` : ''}`;
      return kit.send(reply, 200, `Bulk job ${job.id}`, body, s);
    } catch (err) {
      return kit.refused(reply, 'Bulk job', err, '/devices', s);
    }
  });

  kit.form<{ id: string }>(app, '/bulk/:id/retry', { title: 'Bulk job', back: (p) => `/bulk/${p.id}`, params: idParams }, async (s, p, _body, reply) => {
    await o.bulk.retry(s.principal, p.id);
    return reply.redirect(`/bulk/${p.id}`, 303);
  });

  const detail = async (s: SignedIn, d: Device, extra: Html = html``): Promise<Html> => {
    const [st, printer] = await Promise.all([o.status.last(d.id), o.status.printer(d.id)]);
    const online = o.presence.isOnline(d.id);
    const [alerts, jobs, total, fw] = await Promise.all([
      o.alerts.list(s.principal, { deviceId: d.id, limit: 20 }),
      o.print.jobs(s.principal, { deviceId: d.id, limit: 10 }),
      o.status.history(s.principal, d.id, { object: 'counter.total', from: services.ctx.clock.now() - 90 * 86400_000 }),
      services.firmware.deviceHistory(s.principal, d.id),
    ]);
    const r = d.registry;
    const fields = (rows: [string, unknown][]): Html => html`<dl class="fields">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? '-'}</dd>`)}</dl>`;
    return html`${extra}
      <section aria-labelledby="h-state"><h3 id="h-state">State</h3>${fields([
        ['Connection', html`<strong id="presence" data-live-presence="${d.id}">${online ? 'online' : 'offline'}</strong>`],
        ['Last contact', when(d.lastSeenAt)],
        ['Device', st.deviceState],
        ['Printer', st.printerState],
        ['Accepting jobs', printer ? `${printer.accepting ? 'yes' : 'no'}${printer.status ? ` (it says: ${printer.status})` : ''}` : 'never said'],
        ['Transport', st.transport],
        ['Errors', st.errors.join(', ') || 'none'],
        ['Status polled', when(st.polledAt)],
        ['Last report', when(st.reportedAt)],
      ])}</section>
      <section aria-labelledby="h-supplies"><h3 id="h-supplies">Supplies</h3>${
        st.supplies.length
          ? listTable(['Supply', 'Level', ''], st.supplies.map((x) => ({ attrs: html` data-supply="${x.index}"`, cells: [html`${x.description} <small>${x.kind}</small>`, x.percent === null ? 'unknown' : `${x.percent} %`, gauge(x.description, x.percent)] })))
          : html`<p>Not polled yet.</p>`
      }</section>
      <section aria-labelledby="h-counters"><h3 id="h-counters">Counters</h3>${fields([
        ['Total', st.counters.total],
        ['Mono', st.counters.mono],
        ['Colour', st.counters.colour],
      ])}${lineChart('Total pages, last 90 days', total)}</section>
      <section aria-labelledby="h-registration"><h3 id="h-registration">Registration</h3>${fields([
        ['Model', d.model],
        ['Serial', d.serial],
        ['Account', d.accountId],
        ['Tags', d.tags.join(', ') || 'none'],
        ['Firmware', d.firmwareVersion],
        ['Registration number', r.registrationNumber],
        ['Installation place', r.installationPlace],
        ['Installing person', r.installer],
        ['Contact', r.contact ?? r.contactEmail],
        ['Registered', when(d.createdAt)],
      ])}</section>
      <section aria-labelledby="h-alerts"><h3 id="h-alerts">Alerts</h3>${
        alerts.length ? listTable(['State', 'Alert', 'Updated'], alerts.map((a) => ({ cells: [a.state, a.description, when(a.updatedAt)] }))) : html`<p>None.</p>`
      }</section>
      <section aria-labelledby="h-jobs"><h3 id="h-jobs">Print jobs</h3>${
        jobs.length ? listTable(['Job', 'Name', 'State', 'Created'], jobs.map((j) => ({ cells: [html`<a href="/jobs/${j.id}"><code>${j.id}</code></a>`, j.name, html`<span data-live-job="${j.id}">${j.state}</span>`, when(j.createdAt)] }))) : html`<p>None.</p>`
      }</section>
      <section aria-labelledby="h-get"><h3 id="h-get">Ask or change the device</h3>
        <form method="post" action="/devices/${d.id}/get" id="get-form">${csrfField(s)}
          <label for="oids">OIDs (one per line)</label><textarea id="oids" name="oids" rows="3" cols="40">${[SYSTEM_OID.sysName, SYSTEM_OID.sysLocation, STATUS_OID.prtMarkerLifeCount].join('\n')}</textarea>
          <button type="submit"${online ? '' : html` disabled title="the device is offline"`}>GET</button></form>
        <form method="post" action="/devices/${d.id}/set" id="set-form" class="bulk">${csrfField(s)}
          <div><label for="set-oid">OID</label><input id="set-oid" name="oid" value="${SYSTEM_OID.sysLocation}" required maxlength="128"></div>
          <div><label for="set-type">Type</label><select id="set-type" name="type">${SMI_TYPES.map((t) => html`<option${t === 'string' ? html` selected` : ''}>${t}</option>`)}</select></div>
          <div><label for="set-value">Value</label><input id="set-value" name="value" maxlength="1024"></div>
          <div><button type="submit"${online ? '' : html` disabled title="the device is offline"`}>SET</button></div></form></section>
      <section aria-labelledby="h-firmware"><h3 id="h-firmware">Firmware</h3>${fields([
        ['Runs', d.firmwareVersion ?? 'not reported yet'],
        ['Assigned', d.firmwareTarget ?? 'none (the rollout decides)'],
        ['Target', fw.target ? html`${fw.target.version} (offered to ${fw.target.rolloutPercent} %) — <span id="firmware-state">${d.firmwareVersion === null ? 'not known' : complianceOf(d.firmwareVersion, fw.target.version) === 'current' ? 'up to date' : 'behind'}</span>` : 'no program offered for this model'],
      ])}${
        fw.sent.length ? listTable(['Sent', 'Version', 'Reception'], fw.sent.map((h) => ({ cells: [when(h.sentAt), h.version, h.reception] }))) : html`<p>No program sent to it yet.</p>`
      }</section>
      <section aria-labelledby="h-actions"><h3 id="h-actions">Token and removal</h3>
        <form method="post" action="/devices/${d.id}/rotate-token" class="inline">${csrfField(s)}<button type="submit">Give it a new token</button></form>
        <form method="post" action="/devices/${d.id}/remove" class="inline">${csrfField(s)}<button type="submit">Remove the device</button></form></section>`;
  };

  app.get<{ Params: { id: string } }>('/devices/:id', { schema: { ...hide, params: idParams } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, request.url);
    try {
      const d = await devices.get(s.principal, request.params.id);
      return kit.send(reply, 200, `${d.model} ${d.serial}`, await detail(s, d), s);
    } catch (err) {
      return kit.refused(reply, 'Device', err, '/devices', s);
    }
  });

  const deviceForm = { title: 'Device', back: (p: { id: string }) => `/devices/${p.id}`, params: idParams };

  kit.form<{ id: string }>(app, '/devices/:id/get', deviceForm, async (s, p, body, reply) => {
    const d = await devices.get(s.principal, p.id);
    const oids = String(body.oids ?? '').split(/\s+/).filter(Boolean).slice(0, 32);
    let answer: Html;
    try {
      const r = await o.push.get(s.principal, d.id, oids, { timeoutSeconds: 10 });
      answer = 'state' in r
        ? html`<p class="error" role="alert" id="get-answer">Queued.</p>`
        : html`<div id="get-answer" role="status">${listTable(['OID', 'Type', 'Value'], r.objects.map((x) => ({ cells: [html`<code>${x.oid}</code>`, 'type' in x ? x.type : '-', 'value' in x ? x.value : `(${x.error})`] })))}</div>`;
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      answer = html`<p class="error" role="alert" id="get-answer">${err.message}</p>`;
    }
    return kit.send(reply, 200, `${d.model} ${d.serial}`, await detail(s, d, answer), s);
  });

  kit.form<{ id: string }>(app, '/devices/:id/set', deviceForm, async (s, p, body, reply) => {
    const d = await devices.get(s.principal, p.id);
    let answer: Html;
    try {
      const r = await o.push.set(s.principal, d.id, [{ oid: String(body.oid ?? '').trim(), type: String(body.type ?? ''), value: String(body.value ?? '') }], { timeoutSeconds: 10 });
      answer = 'state' in r
        ? html`<p class="ok" role="status" id="set-answer">Queued for the device's next contact.</p>`
        : html`<p class="ok" role="status" id="set-answer">The device took it: ${r.objects.map((x) => html`<code>${x.oid}</code> = ${'value' in x ? x.value : ''} `)}</p>`;
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      answer = html`<p class="error" role="alert" id="set-answer">${err.message}</p>`;
    }
    return kit.send(reply, 200, `${d.model} ${d.serial}`, await detail(s, d, answer), s);
  });

  kit.form<{ id: string }>(app, '/devices/:id/rotate-token', deviceForm, async (s, p, _body, reply) => {
    const c = await devices.rotateToken(s.principal, p.id);
    return kit.send(
      reply,
      200,
      'New device token',
      html`<p class="ok" role="status">The device has a new token; the old one no longer works. Enter it in the device now: it is shown only once.</p><p>Token <code id="device-token">${c.token}</code></p><p><a href="/devices/${c.deviceId}">Back to the device</a></p>`,
      s,
    );
  });

  kit.form<{ id: string }>(app, '/devices/:id/remove', deviceForm, async (s, p, _body, reply) => {
    await devices.remove(s.principal, p.id);
    return reply.redirect('/devices', 303);
  });
}
