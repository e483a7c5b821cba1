import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PRINTER_REPORTED, type PrinterReported } from '../../domain/print.js';
import type { PrintService } from '../../services/print/print.js';
import { deviceSecurity, okJson, problemResponses, rawBody } from '../../http/schemas.js';
import { jobHref } from '../../protocol/device-http.js';

const tags = ['device'];
const jobIdParam = { type: 'object', properties: { id: { type: 'string', maxLength: 40 } }, required: ['id'] } as const;

/** "bytes=START-END" or "bytes=START-" → a range; anything else → the whole document. */
function parseRange(h: string | undefined): { start: number; end: number } | null {
  const m = h ? /^bytes=(\d{1,15})-(\d{0,15})$/.exec(h.trim()) : null;
  if (!m) return null;
  return { start: Number(m[1]), end: m[2] ? Number(m[2]) : Number.MAX_SAFE_INTEGER };
}

/** The printer's side of cloud print: its state, the jobs waiting for it, fetch with Range, progress. */
export async function printDeviceRoutes(app: FastifyInstance, o: { print: PrintService; authenticateDevice: (q: FastifyRequest, r: FastifyReply) => Promise<void> }): Promise<void> {
  app.addHook('onRequest', o.authenticateDevice);

  app.post<{ Body: { acceptingJobs?: boolean; status?: string } }>(
    '/device/v1/printer/state',
    {
      schema: {
        tags,
        operationId: 'setPrinterState',
        security: deviceSecurity,
        summary: 'Whether the printer accepts jobs (acceptance or acceptance-stop), and its status',
        body: {
          type: 'object',
          properties: { acceptingJobs: { type: 'boolean' }, status: { type: 'string', maxLength: 64 } },
          additionalProperties: false,
          minProperties: 1,
        },
        response: { 200: okJson('The printer state as stored'), ...problemResponses },
      },
    },
    async (request) => {
      const s = await o.print.setState(request.device!, request.body);
      return { acceptingJobs: s.accepting, status: s.status };
    },
  );

  app.get<{ Querystring: { wait?: number } }>(
    '/device/v1/jobs',
    {
      schema: {
        tags,
        operationId: 'pollJobs',
        security: deviceSecurity,
        summary: 'Jobs waiting for this printer; with ?wait=N long-polls up to N seconds',
        querystring: { type: 'object', properties: { wait: { type: 'integer', minimum: 0, maximum: 60, default: 0 } }, additionalProperties: false },
        response: { 200: okJson('Waiting jobs: { items }'), ...problemResponses },
      },
    },
    async (request) => ({
      items: (await o.print.waitingJobs(request.device!, (request.query.wait ?? 0) * 1000)).map((j) => ({ jobId: j.id, href: jobHref(j.id) })),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/device/v1/jobs/:id',
    { schema: { tags, operationId: 'getPrinterJob', security: deviceSecurity, summary: 'Job information; 410 once canceled or finished', params: jobIdParam, response: { 200: okJson('The job and its ticket'), ...problemResponses } } },
    async (request) => {
      const j = await o.print.jobForPrinter(request.device!, request.params.id);
      return { jobId: j.id, name: j.name, documentType: j.documentType, documentSize: j.documentSize, documentSha256: j.documentSha256, ticket: j.ticket, documentUrl: `/device/v1/jobs/${j.id}/document` };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/device/v1/jobs/:id/document',
    {
      schema: {
        tags,
        operationId: 'getPrinterJobDocument',
        security: deviceSecurity,
        summary: 'The document, Range supported; 410 once canceled or finished',
        params: jobIdParam,
        response: {
          200: rawBody('The whole document', 'application/octet-stream', 'binary'),
          206: rawBody('The requested range (Content-Range)', 'application/octet-stream', 'binary'),
          ...problemResponses,
          410: { $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const range = parseRange(request.headers.range);
      const { job, stream, start, end } = await o.print.openDocument(request.device!, request.params.id, range);
      reply.header('accept-ranges', 'bytes').header('content-length', end - start + 1).type(job.documentType);
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${job.documentSize}`);
      return reply.send(stream);
    },
  );

  app.post<{ Params: { id: string }; Body: { state: PrinterReported; detail?: string } }>(
    '/device/v1/jobs/:id/state',
    {
      schema: {
        tags,
        operationId: 'reportJobState',
        security: deviceSecurity,
        summary: 'Progress and completion from the printer',
        params: jobIdParam,
        body: {
          type: 'object',
          properties: { state: { type: 'string', enum: [...PRINTER_REPORTED] }, detail: { type: 'string', maxLength: 200 } },
          required: ['state'],
          additionalProperties: false,
        },
        response: { 200: okJson('The job as the relay now has it'), ...problemResponses },
      },
    },
    async (request) => {
      const j = await o.print.report(request.device!, request.params.id, request.body.state, request.body.detail);
      return { jobId: j.id, state: j.state };
    },
  );
}
