import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceService } from '../../services/identity/devices.js';
import { capabilities, deviceSecurity, okJson, problemResponses } from '../../http/schemas.js';
import { deviceView } from '../../http/views.js';
import type { DevicePresence } from '../../sessions/device-sessions.js';

export interface SelfRoutesOptions {
  devices: DeviceService;
  presence: DevicePresence;
  authenticateDevice: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Whether a BOSH session id is a live session bound by this device. */
  recognizes: (deviceId: string, sid: string) => Promise<boolean>;
}

const tags = ['device'];

/** A device's own record, and its survival notification outside the session (seed 000: sent at S241; the relay answers at S365 whether it still knows the session). */
export async function selfRoutes(app: FastifyInstance, o: SelfRoutesOptions): Promise<void> {
  const { devices } = o;
  app.addHook('onRequest', o.authenticateDevice);

  app.get('/self', { schema: { tags, operationId: 'getSelf', security: deviceSecurity, summary: 'The device as the relay knows it', response: { 200: okJson('The device record'), ...problemResponses } } }, async (request) =>
    deviceView(request.device!, devices.jid(request.device!.id), o.presence.isOnline(request.device!.id)),
  );

  app.post<{ Body: { sid: string } }>(
    '/survival',
    {
      schema: {
        tags,
        operationId: 'sendSurvival',
        security: deviceSecurity,
        summary: 'Survival notification, outside the session: does the relay still know this session?',
        body: { type: 'object', properties: { sid: { type: 'string', maxLength: 128 } }, required: ['sid'], additionalProperties: false },
        response: { 200: { type: 'object', properties: { recognized: { type: 'boolean' } } }, 401: { $ref: 'Problem#' } },
      },
    },
    async (request) => ({ recognized: await o.recognizes(request.device!.id, request.body.sid) }),
  );

  app.patch<{ Body: { capabilities: Record<string, unknown> } }>(
    '/self',
    {
      schema: {
        tags,
        operationId: 'updateSelf',
        security: deviceSecurity,
        summary: 'The device updates its own capability information (only with its own token)',
        body: { type: 'object', properties: { capabilities }, required: ['capabilities'], additionalProperties: false },
        response: { 200: okJson('The device record'), ...problemResponses },
      },
    },
    async (request) => {
      const d = await devices.updateCapabilities(request.device!, request.body.capabilities);
      return deviceView(d, devices.jid(d.id), o.presence.isOnline(d.id));
    },
  );
}
