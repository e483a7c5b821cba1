import multipart, { type Multipart } from '@fastify/multipart';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { JOB_STATES, type JobState } from '../domain/print.js';
import { invalid, ServiceError } from '../services/kernel/errors.js';
import type { PrintService } from '../services/print/print.js';
import type { MailPrintService } from '../services/print/mail-print.js';
import type { JobEvent, PrintJob, PrinterState } from '../domain/print.js';
import type { Device } from '../domain/devices.js';
import { accountId, countedPageOf, deviceIdParam, rawBody, okJson, paging, problemResponses } from '../http/schemas.js';
import { iso } from '../http/views.js';

const tags = ['print'];
const jobIdParam = { type: 'object', properties: { id: { type: 'string', maxLength: 40 } }, required: ['id'] } as const;

export const jobView = (j: PrintJob, events?: JobEvent[]) => ({
  jobId: j.id,
  printerId: j.deviceId,
  state: j.state,
  name: j.name,
  documentType: j.documentType,
  documentSize: j.documentSize,
  documentAvailable: !j.documentDeleted,
  ticket: j.ticket,
  source: j.source,
  createdBy: j.createdBy,
  createdAt: iso(j.createdAt),
  updatedAt: iso(j.updatedAt),
  ...(events ? { history: events.map((e) => ({ at: iso(e.at), state: e.state, detail: e.detail })) } : {}),
});

/** Reads an optional `ticket` field, then the `document` file, which is handed over as a stream. */
async function submitParts(
  parts: AsyncIterable<Multipart>,
  submit: (doc: { name: string; stream: Readable }, ticket: Record<string, unknown>) => Promise<PrintJob>,
): Promise<PrintJob> {
  let ticket: Record<string, unknown> = {};
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.fieldname !== 'ticket') throw invalid(`unknown field ${part.fieldname.slice(0, 40)}`);
      try {
        ticket = JSON.parse(String(part.value)) as Record<string, unknown>;
      } catch {
        throw invalid('ticket is a JSON object');
      }
      if (typeof ticket !== 'object' || ticket === null || Array.isArray(ticket)) throw invalid('ticket is a JSON object');
      continue;
    }
    if (part.fieldname !== 'document') throw invalid(`unknown file field ${part.fieldname.slice(0, 40)}`);
    return submit({ name: part.filename, stream: part.file }, ticket);
  }
  throw invalid('no `document` file in the request');
}

/** Cloud print, northbound: printers' state, job intake (multipart), listings, cancel. */
export async function printRoutes(app: FastifyInstance, { print, mail }: { print: PrintService; mail: MailPrintService }): Promise<void> {
  await app.register(multipart, { limits: { files: 1, fields: 4, fieldSize: 4096, parts: 6, fileSize: print.maxDocumentBytes }, throwFileSizeLimit: true });

  const printerView = ({ device, state, online }: { device: Device; state: PrinterState; online: boolean }) => ({
    printerId: device.id,
    model: device.model,
    serial: device.serial,
    acceptingJobs: state.accepting,
    status: state.status,
    online,
    email: mail.address(device.id),
    allowedSenders: state.allowedSenders ?? null,
  });

  app.get<{ Querystring: { accountId?: string; cursor?: string; limit?: number } }>(
    '/printers',
    {
      schema: {
        tags,
        operationId: 'listPrinters',
        summary: "The caller's printers (devices that said whether they accept jobs, or were given mail senders), by device ID; page with nextCursor",
        querystring: {
          type: 'object',
          properties: {
            accountId,
            ...paging,
          },
          additionalProperties: false,
        },
        response: { 200: countedPageOf('Printer'), ...problemResponses },
      },
    },
    async (request) => {
      const page = await print.printers(request.principal!, request.query);
      return { items: page.items.map(printerView), nextCursor: page.nextCursor, total: page.total };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/printers/:id',
    { schema: { tags, operationId: 'getPrinter', summary: "A printer's accepting-jobs flag and status (seed 003 printer table)", params: deviceIdParam, response: { 200: { $ref: 'Printer#' }, ...problemResponses } } },
    async (request) => printerView(await print.printer(request.principal!, request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/printers/:id/mail-requests',
    {
      schema: {
        tags,
        operationId: 'listMailRequests',
        summary: "The printer's latest 50 print requests by e-mail; controlUrl is the control page's link when the relay has no outbound mail to send it",
        params: deviceIdParam,
        response: { 200: okJson('Print requests by e-mail, newest first: { items }'), ...problemResponses },
      },
    },
    async (request) => ({
      items: (await mail.requests(request.principal!, request.params.id)).map(({ page, state, controlUrl }) => ({
        requestId: page.id,
        sender: page.sender,
        subject: page.subject,
        files: page.files,
        state,
        jobId: state === 'submitted' ? page.jobId : null,
        controlUrl,
        createdAt: iso(page.createdAt),
        expiresAt: iso(page.expiresAt),
      })),
    }),
  );

  app.patch<{ Params: { id: string }; Body: { allowedSenders: string[] | null } }>(
    '/printers/:id',
    {
      schema: {
        tags,
        operationId: 'updatePrinter',
        summary: 'Who may print by e-mail: a list of sender addresses, or null for anyone',
        params: deviceIdParam,
        body: {
          type: 'object',
          properties: { allowedSenders: { type: ['array', 'null'], maxItems: 100, items: { type: 'string', maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' } } },
          required: ['allowedSenders'],
          additionalProperties: false,
        },
        response: { 200: okJson('The senders now allowed: { allowedSenders }'), ...problemResponses },
      },
    },
    async (request) => ({ allowedSenders: await print.setAllowedSenders(request.principal!, request.params.id, request.body.allowedSenders) }),
  );

  app.post<{ Params: { id: string } }>(
    '/printers/:id/jobs',
    {
      schema: {
        tags,
        operationId: 'submitJob',
        summary: 'Print a document: multipart with an optional `ticket` (JSON, IPP attribute names) before the `document` file. 409 not-accepting-jobs when the printer refuses.',
        params: deviceIdParam,
        response: { 201: okJson('The job as made; Location names it'), ...problemResponses, 409: { $ref: 'Problem#' }, 413: { $ref: 'Problem#' }, 415: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw invalid('send multipart/form-data with a `document` file');
      await print.assertAccepting(request.principal!, request.params.id);
      try {
        const job = await submitParts(request.parts(), (doc, ticket) => print.submit(request.principal!, request.params.id, doc, ticket, 'api'));
        return reply.code(201).header('location', `/api/v1/jobs/${job.id}`).send(jobView(job));
      } catch (err) {
        // Our own refusals and the framework's (413 and such) pass; a body busboy cannot read is malformed.
        if (err instanceof ServiceError || typeof (err as { statusCode?: number }).statusCode === 'number') throw err;
        throw new ServiceError('malformed-request', `the multipart body could not be read: ${(err as Error).message}`);
      }
    },
  );

  app.get<{ Querystring: { printerId?: string; state?: JobState; cursor?: string; limit?: number } }>(
    '/jobs',
    {
      schema: {
        tags,
        operationId: 'listJobs',
        summary: 'Jobs, newest first; page with cursor = the last jobId seen',
        querystring: {
          type: 'object',
          properties: {
            printerId: deviceIdParam.properties.id,
            state: { type: 'string', enum: [...JOB_STATES] },
            cursor: { type: 'string', maxLength: 40 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
          additionalProperties: false,
        },
        response: { 200: okJson('Jobs, newest first: { items, nextCursor }'), ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const jobs = await print.jobs(request.principal!, { deviceId: q.printerId, state: q.state, cursor: q.cursor, limit: q.limit });
      return { items: jobs.map((j) => jobView(j)), nextCursor: jobs.length === (q.limit ?? 100) ? jobs[jobs.length - 1]!.id : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    { schema: { tags, operationId: 'getJob', summary: 'A job with every state it went through', params: jobIdParam, response: { 200: okJson('The job and its history'), ...problemResponses } } },
    async (request) => {
      const { job, events } = await print.job(request.principal!, request.params.id);
      return jobView(job, events);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/document',
    {
      schema: {
        tags,
        operationId: 'getJobDocument',
        summary: "The job's document, while it exists: until the job ends, and after completion for --print-keep seconds; then 410",
        params: jobIdParam,
        response: { 200: rawBody('The document, in the type it was sniffed as (PDF, JPEG, …)', 'application/octet-stream', 'binary'), ...problemResponses, 410: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const { job, stream } = await print.documentFor(request.principal!, request.params.id);
      const filename = job.name.replace(/[^\w.\- ]+/g, '_').slice(0, 100) || 'document';
      return reply
        .header('content-type', job.documentType)
        .header('content-length', job.documentSize)
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(stream);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/cancel',
    {
      schema: {
        tags,
        operationId: 'cancelJob',
        summary: 'Cancel: canceled at once before the printer fetched it or when it has no session; else the printer is asked (up to 10 s): canceled, or cancel-failed when it cannot',
        params: jobIdParam,
        response: { 200: okJson('The job: canceled, or cancel-failed when the printer could not'), ...problemResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request) => jobView(await print.cancel(request.principal!, request.params.id)),
  );
}
