import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseCgi, ReportError, type ReportInput } from '../../domain/reports.js';
import { invalid, PROBLEMS, ServiceError, type ProblemName } from '../../services/kernel/errors.js';
import { holdsNul } from '../../http/text-guard.js';
import type { Reception, ReportService } from '../../services/management/reports.js';
import type { FirmwareService } from '../../services/management/firmware.js';
import type { AuthService } from '../../services/identity/auth.js';
import type { DevicePresence } from '../../sessions/device-sessions.js';
import type { RateLimiter } from '../../services/kernel/rate-limit.js';
import type { Device } from '../../domain/devices.js';
import { bearer } from '../../http/auth.js';
import { deviceSecurity, okJson, problemResponses, rawBody } from '../../http/schemas.js';

export interface ReportRoutesOptions {
  reports: ReportService;
  firmware: FirmwareService;
  auth: AuthService;
  presence: DevicePresence;
  failures: RateLimiter;
  byRegistrationNumber: (n: string) => Promise<Device | null>;
  authenticateDevice: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const receptionJson = (r: Reception) => ({ ...r, receivedAt: new Date(r.receivedAt).toISOString() });

/** The seed's reply body (Sa3: the acknowledgement the device's panel can show): `key=value` lines after the HTTP header (Figs. 6–18). */
function receptionText(r: Reception): string {
  const lines = [`time=${new Date(r.receivedAt).toISOString()}`, `type=${r.type}`, `reception=${r.reception}`, `description=${oneLine(r.description)}`];
  for (const q of r.requests ?? []) lines.push(`request=${JSON.stringify(q)}`);
  return lines.join('\r\n') + '\r\n';
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

function cgiError(reply: FastifyReply, name: ProblemName, detail: string): FastifyReply {
  return reply
    .code(PROBLEMS[name].status)
    .type('text/plain; charset=utf-8')
    .send(`error=${name}\r\ndescription=${oneLine(detail)}\r\n`);
}

const reportSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['error', 'user-report', 'order', 'counters', 'cleared', 'heartbeat'] },
    namespace: { type: 'string', maxLength: 32 },
    code: { type: 'string', maxLength: 32 },
    text: { type: 'string', maxLength: 4000 },
    quantity: { type: 'integer' },
    total: { type: 'integer' },
    mono: { type: 'integer' },
    colour: { type: 'integer' },
  },
  required: ['kind'],
  additionalProperties: false,
} as const;

type ReportBody = { kind: ReportInput['kind']; namespace?: string; code?: string; text?: string; quantity?: number; total?: number; mono?: number; colour?: number };

function toInput(b: ReportBody): ReportInput {
  const need = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new ReportError(`a ${b.kind} report needs ${name}`);
    return v;
  };
  switch (b.kind) {
    case 'error':
    case 'cleared':
      return { kind: b.kind, namespace: b.namespace ?? 'error', code: need(b.code, 'code') };
    case 'user-report':
      return { kind: 'user-report', text: need(b.text, 'text') };
    case 'order':
      return { kind: 'order', code: need(b.code, 'code'), quantity: b.quantity ?? 1 };
    case 'counters':
      return { kind: 'counters', total: need(b.total, 'total'), mono: need(b.mono, 'mono'), colour: need(b.colour, 'colour') };
    case 'heartbeat':
      return { kind: 'heartbeat' };
  }
}

/**
 * Remote-management reports (seed 004), device-initiated: JSON at /device/v1/reports, and the
 * seed's CGI form at /cgi-bin/cgi.remoteservice as a compatibility surface. Only the reply
 * crosses the firewall back.
 */
/** The seed's forms take the device token (header or K=), or U= alone from a device marked legacy. */
const cgiSecurity: Record<string, string[]>[] = [{ deviceToken: [] }, {}];
const cgiProblem = rawBody('error=<problem name> and description=<text>, one per line', 'text/plain');

export async function reportRoutes(app: FastifyInstance, o: ReportRoutesOptions): Promise<void> {
  app.register(async (json) => {
    json.addHook('onRequest', o.authenticateDevice);
    json.post<{ Body: ReportBody }>(
      '/device/v1/reports',
      {
        schema: {
          tags: ['device'],
          operationId: 'sendReport',
          security: deviceSecurity,
          summary: 'A report (toner low, part to replace, fault, user problem, order, counters, "cleared", heartbeat); the reply says when, what, and its reception number',
          body: reportSchema,
          response: { 200: okJson('When, what, and the reception number'), ...problemResponses, 409: { $ref: 'Problem#' }, 422: { $ref: 'Problem#' } },
        },
      },
      async (request) => {
        let input: ReportInput;
        try {
          input = toInput(request.body);
        } catch (err) {
          if (err instanceof ReportError) throw new ServiceError('validation-failed', err.message);
          throw err;
        }
        return receptionJson(await o.reports.ingest(request.device!, input, 'json'));
      },
    );

    json.post<{ Body: { currentVersion?: string } }>(
      '/device/v1/firmware/check',
      {
        schema: {
          tags: ['device'],
          operationId: 'checkFirmware',
          security: deviceSecurity,
          summary: 'Update check: the newer program for this device, if its rollout includes one; download it from downloadUrl',
          body: { type: 'object', properties: { currentVersion: { type: 'string', maxLength: 40 } }, additionalProperties: false },
          response: { 200: okJson('The reception, and the update offered (or null)'), ...problemResponses },
        },
      },
      async (request) => {
        const r = await o.reports.firmwareCheck(request.device!, request.body?.currentVersion ?? null, 'json');
        const { update, ...reception } = r;
        return {
          ...receptionJson(reception),
          update: update
            ? { firmwareId: update.firmware.id, version: update.firmware.version, size: update.firmware.size, sha256: update.firmware.sha256, signature: update.firmware.signature, downloadUrl: `/device/v1/firmware/${update.firmware.id}` }
            : null,
        };
      },
    );

    json.get<{ Params: { id: string } }>(
      '/device/v1/firmware/:id',
      { schema: { tags: ['device'], operationId: 'downloadFirmware', security: deviceSecurity, summary: 'A program offered to this device by an update check', params: { type: 'object', properties: { id: { type: 'string', maxLength: 40 } } }, response: { 200: rawBody('The program; X-Firmware-Version, X-Firmware-SHA256 and X-Firmware-Signature say what it is', 'application/octet-stream', 'binary'), ...problemResponses } } },
      async (request, reply) => {
        const { firmware, program } = await o.firmware.download(request.device!, request.params.id);
        return reply.type('application/octet-stream').header('x-firmware-version', firmware.version).header('x-firmware-sha256', firmware.sha256).header('x-firmware-signature', firmware.signature).send(program);
      },
    );
  });

  // The seed's form: arguments in the query string or an urlencoded body, order kept (E=Type2&U=2).
  app.register(async (cgi) => {
    cgi.removeAllContentTypeParsers();
    cgi.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
    cgi.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
    cgi.setErrorHandler((err: Error, _request, reply) => {
      if (err instanceof ServiceError) return cgiError(reply, err.problem, err.message);
      const status = (err as { statusCode?: number }).statusCode;
      return cgiError(reply, status === 413 ? 'payload-too-large' : 'malformed-request', err.message);
    });

    /** The arguments of the query string, then of an urlencoded body, in order. The body is raw here: NUL is refused as on every route. */
    const argumentsOf = (request: FastifyRequest): [string, string][] => {
      const body = typeof request.body === 'string' ? request.body : '';
      const pairs = [...new URLSearchParams(request.raw.url?.split('?')[1] ?? ''), ...new URLSearchParams(body)];
      if (holdsNul(pairs)) throw invalid('text may not contain NUL characters');
      return pairs;
    };

    const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const pairs = argumentsOf(request);
      let parsed;
      try {
        parsed = parseCgi(pairs);
      } catch (err) {
        if (err instanceof ReportError) return cgiError(reply, 'validation-failed', err.message);
        throw err;
      }
      const device = await identify(request, parsed.token, parsed.registrationNumber);
      if (typeof device === 'string') {
        if (o.failures.hit(request.ip)) return cgiError(reply, 'rate-limited', 'too many failed authentications from this address');
        return cgiError(reply, 'unauthorized', device);
      }
      o.presence.refresh(device.id);
      try {
        return reply.type('text/plain; charset=utf-8').send(receptionText(await o.reports.ingest(device, parsed.input, 'cgi')));
      } catch (err) {
        if (err instanceof ServiceError) return cgiError(reply, err.problem, err.message);
        throw err;
      }
    };

    /** Token (header or K=), with U checked against it; or U alone for devices marked legacy. */
    const identify = async (request: FastifyRequest, k: string | null, u: string | null): Promise<Device | string> => {
      const token = bearer(request) ?? k;
      if (token) {
        const device = await o.auth.deviceToken(token);
        if (!device) return 'the device token is not valid';
        if (u !== null && device.registry.registrationNumber !== u) return `U=${u.slice(0, 32)} is not this device's registration number`;
        return device;
      }
      if (u === null) return 'send the device token (Authorization: Bearer or K=) or U=<registration number>';
      const device = await o.byRegistrationNumber(u);
      if (!device || !device.registry.legacyAuth) return `registration number ${u.slice(0, 32)} cannot report without its token`;
      return device;
    };

    cgi.route({
      method: ['GET', 'POST'],
      url: '/cgi-bin/cgi.remoteservice',
      schema: {
        tags: ['device'],
        operationId: 'cgiRemoteService',
        summary: "A report in the seed's form (E=Type&U=…&K=…), in the query string or an urlencoded body; the reply is the seed's text",
        security: cgiSecurity,
        response: { 200: rawBody("The reception, in the seed's text form", 'text/plain'), 400: cgiProblem, 401: cgiProblem },
      },
      handler: handle,
    });

    // The update check: U/K identify, V is the version the device runs. The program rides in the reply after "Next Part".
    cgi.route({
      method: ['GET', 'POST'],
      url: '/cgi-bin/cgi.checkupdate',
      schema: {
        tags: ['device'],
        operationId: 'cgiCheckUpdate',
        summary: "The seed's update check: U/K identify the device, V is the version it runs; the program follows \"Next Part\" in the reply",
        security: cgiSecurity,
        response: { 200: rawBody("The answer in the seed's text form, with the program after \"Next Part\" when there is one", 'text/plain'), 400: cgiProblem, 401: cgiProblem },
      },
      handler: async (request, reply) => {
        const pairs = argumentsOf(request);
        const get = (k: string): string | null => pairs.find(([x]) => x === k)?.[1] ?? null;
        const unknown = pairs.find(([k]) => !['U', 'K', 'V'].includes(k));
        if (unknown) return cgiError(reply, 'validation-failed', `unknown argument ${unknown[0].slice(0, 20)}`);
        const device = await identify(request, get('K'), get('U'));
        if (typeof device === 'string') {
          if (o.failures.hit(request.ip)) return cgiError(reply, 'rate-limited', 'too many failed authentications from this address');
          return cgiError(reply, 'unauthorized', device);
        }
        o.presence.refresh(device.id);
        let r;
        try {
          r = await o.reports.firmwareCheck(device, get('V'), 'cgi');
        } catch (err) {
          if (!(err instanceof ServiceError)) throw err;
          if (err.problem === 'internal') request.log.error({ deviceId: device.id, err: err.message }, 'firmware update check failed');
          return cgiError(reply, err.problem, err.message);
        }
        const text = receptionText(r);
        if (!r.update) return reply.type('text/plain; charset=utf-8').send(text);
        const f = r.update.firmware;
        const boundary = `NextPart_${f.sha256.slice(0, 24)}`;
        const head = Buffer.from(
          `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}version=${f.version}\r\nsha256=${f.sha256}\r\nsignature=${f.signature}\r\n` +
            `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${f.size}\r\nContent-Disposition: attachment; filename="${f.id}.bin"\r\n\r\n`,
        );
        return reply.type(`multipart/mixed; boundary=${boundary}`).send(Buffer.concat([head, r.update.program, Buffer.from(`\r\n--${boundary}--\r\n`)]));
      },
    });
  });
}
