import type { FastifyInstance, FastifyReply } from 'fastify';
import { PROBLEMS, ServiceError } from '../services/kernel/errors.js';
import type { MailPrintService } from '../services/print/mail-print.js';
import type { PrintJob, PrintPage } from '../domain/print.js';
import { rawBody } from '../http/schemas.js';
import { html, page as layout, type Html } from './html.js';

/** The control page in the OpenAPI document: anyone with the link, HTML both ways. */
const pageDoc = { tags: ['print'], security: [] as Record<string, string[]>[] };
const htmlError = rawBody('The page, saying what went wrong', 'text/html');

const MEDIA = [
  ['iso_a4_210x297mm', 'A4'],
  ['na_letter_8.5x11in', 'Letter'],
  ['iso_a3_297x420mm', 'A3'],
  ['na_legal_8.5x14in', 'Legal'],
] as const;
const ACTIVE = ['pending', 'notified', 'fetched', 'processing', 'cancel-requested'];

/**
 * The print control page of seed 002 (FIG. 3), at an unguessable, expiring URL mailed to the
 * sender (S102): choose the file and settings, see a preview, Print (S104), Re-preview or Cancel
 * (S106), and watch the job's state, canceled included (S107/S108).
 */
export async function printPageRoutes(app: FastifyInstance, { mail }: { mail: MailPrintService }): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-store');
  });

  const params = { type: 'object', properties: { token: { type: 'string', maxLength: 100 } }, required: ['token'] } as const;

  const view = (token: string, p: PrintPage, chosen: number, job: PrintJob | null, message?: Html): Html => {
    const f = p.files[chosen]!;
    const src = `/print/${token}/files/${chosen}`;
    const preview = f.type.startsWith('image/') ? html`<img id="preview" src="${src}" alt="preview of ${f.name}" style="max-width:100%;max-height:24rem;border:1px solid #ccd">` : html`<iframe id="preview" src="${src}" title="preview of ${f.name}" style="width:100%;height:24rem;border:1px solid #ccd"></iframe>`;
    const select = (name: string, label: string, options: readonly (readonly [string, string])[]) =>
      html`<label for="${name}">${label}</label><select id="${name}" name="${name}">${options.map(([v, t]) => html`<option value="${v}">${t}</option>`)}</select>`;
    const state = job ? html`<p id="job-state" class="${job.state === 'completed' || job.state === 'canceled' ? 'ok' : ACTIVE.includes(job.state) ? '' : 'error'}">Job <code>${job.id}</code>: <strong>${job.state}</strong></p>` : '';
    const form = job
      ? html`<form method="post" action="/print/${token}"><button type="submit" name="action" value="cancel"${ACTIVE.includes(job.state) || job.state === 'cancel-failed' ? '' : html` disabled`}>Cancel</button></form>`
      : html`<form method="post" action="/print/${token}">
          <label for="file">File</label><select id="file" name="file">${p.files.map((x, i) => html`<option value="${i}"${i === chosen ? html` selected` : ''}>${x.name} (${x.type}, ${x.size} bytes)</option>`)}</select>
          ${select('media', 'Paper size', MEDIA)}
          ${select('color', 'Colour', [['auto', 'As the document'], ['color', 'Colour'], ['monochrome', 'Black and white']])}
          ${select('quality', 'Quality', [['normal', 'Normal'], ['draft', 'Draft'], ['high', 'High']])}
          <label for="copies">Copies</label><input id="copies" name="copies" type="number" min="1" max="99" value="1">
          <button type="submit" name="action" value="print">Print</button>
          <button type="submit" name="action" value="preview">Re-preview</button>
          <button type="submit" name="action" value="cancel">Cancel</button>
        </form>`;
    return html`${message ?? ''}<p>From <strong>${p.sender}</strong>: “${p.subject}”</p>${state}${form}<h3>Preview</h3>${preview}`;
  };

  const send = (reply: FastifyReply, status: number, body: Html, refresh = false): FastifyReply => {
    const text = layout('Print', body);
    return reply.code(status).type('text/html; charset=utf-8').send(refresh ? text.replace('<head>', '<head><meta http-equiv="refresh" content="2">') : text);
  };
  const failed = (reply: FastifyReply, err: unknown): FastifyReply => {
    if (!(err instanceof ServiceError)) throw err;
    return send(reply, PROBLEMS[err.problem].status, html`<p class="error" role="alert">${err.message}</p>`);
  };

  app.get<{ Params: { token: string }; Querystring: { file?: number } }>(
    '/print/:token',
    {
      schema: {
        ...pageDoc,
        operationId: 'getPrintControlPage',
        summary: 'The print control page of a mailed job (the link is the capability): preview, ticket, print or cancel',
        params,
        querystring: { type: 'object', properties: { file: { type: 'integer', minimum: 0, maximum: 9 } } },
        response: { 200: rawBody('The page', 'text/html'), 404: htmlError, 410: htmlError },
      },
    },
    async (request, reply) => {
      try {
        const p = await mail.page(request.params.token);
        if (p.jobId === 'discarded') return send(reply, 410, html`<p class="ok" role="status">Canceled: nothing was printed and the files are deleted.</p>`);
        const job = await mail.job(p);
        return send(reply, 200, view(request.params.token, p, Math.min(request.query.file ?? 0, p.files.length - 1), job), job !== null && ACTIVE.includes(job.state));
      } catch (err) {
        return failed(reply, err);
      }
    },
  );

  app.post<{ Params: { token: string }; Body: Record<string, string> }>(
    '/print/:token',
    {
      schema: {
        ...pageDoc,
        operationId: 'submitPrintControlPage',
        summary: 'The control page\'s form (urlencoded action=preview|print|cancel, file, media, color, quality, copies); answers with a redirect to the page',
        params,
        response: {
          303: { description: 'Done: see the page again', type: 'null' },
          400: htmlError,
          404: htmlError,
          410: htmlError,
          default: rawBody('Any other refusal (the printer not accepting jobs, …), as the page saying why', 'text/html'),
        },
      },
    },
    async (request, reply) => {
      const { token } = request.params;
      const b = request.body ?? {};
      const file = Number(b.file ?? 0);
      try {
        if (b.action === 'preview') return reply.redirect(`/print/${token}?file=${Number.isInteger(file) ? file : 0}`, 303);
        if (b.action === 'cancel') {
          await mail.cancelFrom(token);
          return reply.redirect(`/print/${token}`, 303);
        }
        if (b.action !== 'print') return send(reply, 400, html`<p class="error">Unknown action.</p>`);
        await mail.printFrom(token, file, {
          media: b.media,
          'print-color-mode': b.color,
          'print-quality': b.quality,
          copies: Number(b.copies ?? 1),
        });
        return reply.redirect(`/print/${token}`, 303);
      } catch (err) {
        return failed(reply, err);
      }
    },
  );

  app.get<{ Params: { token: string; n: number } }>(
    '/print/:token/files/:n',
    { schema: { hide: true, params: { type: 'object', properties: { token: { type: 'string', maxLength: 100 }, n: { type: 'integer', minimum: 0, maximum: 9 } } } } },
    async (request, reply) => {
      try {
        const p = await mail.page(request.params.token);
        const f = p.files[request.params.n];
        if (!f || p.jobId === 'discarded') return send(reply, 404, html`<p class="error">No such file.</p>`);
        return reply.type(f.type === 'text/plain' ? 'text/plain; charset=utf-8' : f.type).header('content-disposition', 'inline').send(await mail.file(p, request.params.n));
      } catch (err) {
        return failed(reply, err);
      }
    },
  );
}
