import type { FastifyInstance } from 'fastify';
import { isAdmin } from '../domain/principal.js';
import type { Services } from '../services/index.js';
import { csrfField, when, type ConsoleKit } from './console.js';
import { html, listTable } from './html.js';

const STATE_NAMES = { current: 'up to date', behind: 'behind', unknown: 'not known' } as const;

/**
 * The console's firmware page (issue 15): the vendor's programs and their rollout (a site admin
 * changes it here), and for each model how many devices run which version against the model's
 * target, each count a link to those devices.
 */
export async function firmwarePage(app: FastifyInstance, o: { kit: ConsoleKit; services: Services }): Promise<void> {
  const { kit } = o;
  const { firmware } = o.services;

  app.get('/firmware', { schema: { hide: true } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, '/firmware');
    const admin = isAdmin(s.principal);
    const [programs, models] = await Promise.all([firmware.list(), firmware.compliance(s.principal)]);
    const rollout = (model: string, version: string, percent: number) =>
      html`<form method="post" action="/firmware/rollout" class="inline">${csrfField(s)}<input type="hidden" name="model" value="${model}"><input type="hidden" name="version" value="${version}"><label class="inline-label">Rollout % <input name="percent" type="number" min="0" max="100" value="${percent}" required aria-label="Rollout percent of ${model} ${version}"></label><button type="submit">Set</button></form>`;
    const images = programs.length
      ? listTable(
          ['Model', 'Version', 'Size', 'SHA-256', 'Rollout', 'Uploaded'],
          programs.map((f) => ({
            attrs: html` data-firmware="${f.model} ${f.version}"`,
            cells: [f.model, f.version, `${(f.size / 1024).toFixed(0)} KiB`, html`<code title="${f.sha256}">${f.sha256.slice(0, 12)}…</code>`, admin ? rollout(f.model, f.version, f.rolloutPercent) : `${f.rolloutPercent} %`, `${when(f.uploadedAt)} by ${f.uploadedBy}`],
          })),
        )
      : html`<p>No programs yet. A site admin registers the vendor's key and uploads signed programs: <code>fleetrelay firmware key set</code>, <code>fleetrelay firmware upload</code>.</p>`;
    const link = (model: string, version: string | null, n: number) =>
      version === null ? String(n) : html`<a href="/devices?model=${encodeURIComponent(model)}&amp;firmware=${encodeURIComponent(version)}">${n}</a>`;
    const compliance = models.length
      ? models.map(
          (m) => html`<section aria-labelledby="h-model-${m.model}" data-model="${m.model}"><h4 id="h-model-${m.model}">${m.model}: ${
            m.target ? html`target ${m.target.version} (offered to ${m.target.rolloutPercent} %)` : 'no program offered'
          }</h4>${listTable(
            ['Version', 'Devices', 'State'],
            m.versions.map((v) => ({ attrs: html` data-version="${v.version ?? ''}" data-state="${v.state}"`, cells: [v.version ?? 'not reported yet', link(m.model, v.version, v.devices), m.target ? STATE_NAMES[v.state] : '-'] })),
          )}</section>`,
        )
      : html`<p>No devices yet.</p>`;
    return kit.send(reply, 200, 'Firmware', html`<section aria-labelledby="h-images"><h3 id="h-images">Programs</h3>${images}</section><section aria-labelledby="h-compliance"><h3 id="h-compliance">Devices by version</h3>${compliance}</section>`, s);
  });

  kit.form(app, '/firmware/rollout', { title: 'Firmware', back: () => '/firmware' }, async (s, _p, b, reply) => {
    const percent = Number(b.percent);
    await firmware.rollout(s.principal, String(b.model ?? ''), String(b.version ?? ''), Number.isInteger(percent) ? percent : -1);
    return reply.redirect('/firmware', 303);
  });
}
