import type { FastifyInstance } from 'fastify';
import { VERSION_PATTERN } from '../domain/firmware.js';
import type { Services } from '../services/index.js';
import { MAX_PROGRAM_BYTES } from '../services/management/firmware.js';
import type { Firmware } from '../domain/firmware.js';
import { label, okJson, problemResponses } from '../http/schemas.js';
import { iso } from '../http/views.js';

const tags = ['firmware'];
const view = (f: Firmware) => ({ ...f, uploadedAt: iso(f.uploadedAt) });
const params = { type: 'object', properties: { model: label, version: { type: 'string', pattern: VERSION_PATTERN } }, required: ['model', 'version'] } as const;

/** Firmware for the devices' update check (seed 004 state 6), for site admins: vendor key, signed uploads per model, staged rollout. */
export async function firmwareRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { firmware } = services;
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_PROGRAM_BYTES }, (_req, body, done) => done(null, body));

  app.get('/firmware', { schema: { tags, operationId: 'listFirmware', summary: 'Uploaded programs and their rollout', response: { 200: okJson('Programs and their rollout: { items }'), ...problemResponses } } }, async () => ({ items: (await firmware.list()).map(view) }));

  app.put<{ Body: { publicKey: string } }>(
    '/firmware/vendor-key',
    {
      schema: {
        tags,
        operationId: 'setVendorKey',
        summary: "Register the vendor's Ed25519 public key (PEM, or base64 of the 32 raw bytes)",
        body: { type: 'object', properties: { publicKey: { type: 'string', maxLength: 1000 } }, required: ['publicKey'], additionalProperties: false },
        response: { 200: okJson('The key as registered'), ...problemResponses, 403: { $ref: 'Problem#' } },
      },
    },
    async (request) => ({ publicKey: await firmware.setVendorKey(request.principal!, request.body.publicKey) }),
  );

  app.put<{ Params: { model: string; version: string }; Body: Buffer }>(
    '/firmware/:model/:version',
    {
      schema: {
        tags,
        operationId: 'uploadFirmware',
        summary: 'Upload a program (application/octet-stream) with its vendor signature in X-Firmware-Signature (base64 Ed25519); verified before it is kept',
        params,
        headers: { type: 'object', properties: { 'x-firmware-signature': { type: 'string', maxLength: 200 } }, required: ['x-firmware-signature'] },
        response: { 201: okJson('The program, verified and kept'), ...problemResponses, 403: { $ref: 'Problem#' }, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const f = await firmware.upload(request.principal!, {
        model: request.params.model,
        version: request.params.version,
        signature: String(request.headers['x-firmware-signature']),
        program: request.body,
      });
      return reply.code(201).send(view(f));
    },
  );

  app.post<{ Params: { model: string; version: string }; Body: { percent: number } }>(
    '/firmware/:model/:version/rollout',
    {
      schema: {
        tags,
        operationId: 'startFirmwareRollout',
        summary: "Offer the program to this percentage of the model's devices (stable: a device in at 10 % stays in at 50 %)",
        params,
        body: { type: 'object', properties: { percent: { type: 'integer', minimum: 0, maximum: 100 } }, required: ['percent'], additionalProperties: false },
        response: { 200: okJson('The program with its rollout'), ...problemResponses, 403: { $ref: 'Problem#' } },
      },
    },
    async (request) => view(await firmware.rollout(request.principal!, request.params.model, request.params.version, request.body.percent)),
  );
}
