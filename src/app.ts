import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { RelayConfig } from './config.js';
import { VERSION } from './config.js';
import { isAdmin } from './domain/principal.js';
import type { Services } from './services/index.js';
import type { RateLimiter } from './services/kernel/rate-limit.js';
import type { PushService } from './services/push/push.js';
import type { DevicePresence } from './sessions/device-sessions.js';
import type { BoshManager } from './transports/bosh/manager.js';
import type { WebSocketManager } from './transports/websocket/manager.js';
import { clientAddress } from './transports/client-address.js';
import { pushRoutes } from './api/push.js';
import { alertRoutes } from './api/alerts.js';
import { billingRoutes } from './api/billing.js';
import { codeRoutes } from './api/codes.js';
import { webhookRoutes } from './api/webhooks.js';
import { firmwareRoutes } from './api/firmware.js';
import { printRoutes } from './api/print.js';
import { faxRoutes } from './api/fax.js';
import type { FaxSwitchboard } from './services/fax/switchboard.js';
import { printDeviceRoutes } from './transports/device-http/print.js';
import type { PrintService } from './services/print/print.js';
import type { MailPrintService } from './services/print/mail-print.js';
import { printPageRoutes } from './web/print-page.js';
import type { WebhookService } from './services/management/webhooks.js';
import type { StatusService } from './services/management/status.js';
import type { ReportService } from './services/management/reports.js';
import type { AlertService } from './services/management/alerts.js';
import { reportRoutes } from './transports/device-http/reports.js';
import { sameText } from './services/kernel/secrets.js';
import { registrationRoutes } from './transports/device-http/registration.js';
import { selfRoutes } from './transports/device-http/self.js';
import { pushDeviceRoutes } from './transports/device-http/push.js';
import { DEVICE_HTTP } from './protocol/device-http.js';
import { webRoutes } from './web/routes.js';
import { ippRoutes } from './transports/ipp/server.js';
import { consoleKit } from './web/console.js';
import { authHooks, bearer, refuseAuth } from './http/auth.js';
import type { Metrics } from './http/metrics.js';
import { installProblemHandlers } from './http/problems.js';
import { refuseNul } from './http/text-guard.js';
import { accountRoutes } from './api/accounts.js';
import { deviceRoutes } from './api/devices.js';
import { bulkRoutes } from './api/bulk.js';
import type { BulkService } from './services/management/bulk.js';
import type { LiveEvents } from './web/live.js';
import type { FleetService } from './services/management/fleet.js';
import { okJson, rawBody, sharedSchemas } from './http/schemas.js';
import { openapiOptions } from './api/openapi.js';

export const BODY_LIMIT = 64 * 1024;

/** The live parts of a running relay that the HTTP surface talks to. */
export interface RelayRuntime {
  push: PushService;
  reports: ReportService;
  alerts: AlertService;
  status: StatusService;
  fleet: FleetService;
  bulk: BulkService;
  live: LiveEvents;
  webhooks: WebhookService;
  print: PrintService;
  mailPrint: MailPrintService;
  presence: DevicePresence;
  bosh: BoshManager;
  websocket: WebSocketManager;
  /** Failed authentications and registrations, per client address. */
  failures: RateLimiter;
  registrations: RateLimiter;
  fax: FaxSwitchboard;
}

export interface AppOptions {
  config: RelayConfig;
  services: Services;
  runtime: RelayRuntime;
  metrics: Metrics;
  logger: FastifyBaseLogger;
}

const isBoshPath = (url: string | undefined): boolean =>
  url !== undefined && url.startsWith('/http-bind') && (url.length === 10 || url[10] === '/' || url[10] === '?');

/** One HTTP port: device endpoints, the REST API under /api/v1, web pages, health and metrics. */
export async function buildApp({ config, services, runtime, metrics, logger }: AppOptions): Promise<FastifyInstance> {
  const tls = config.tls ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } : null;
  const app = Fastify({
    loggerInstance: logger,
    ...(tls ? { https: tls } : {}),
    // /http-bind goes straight to the BOSH manager on the bare node:http request: held requests
    // are the relay's hot path and must not pay for the framework.
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
      const route = (req: IncomingMessage, res: ServerResponse): void => {
        // Which node answered: for operators checking a load balancer (and BOSH forwarding) in a cluster.
        res.setHeader('x-fleetrelay-node', config.nodeId);
        if (isBoshPath(req.url)) runtime.bosh.handle(req, res, clientAddress(req, config.trustProxy));
        else handler(req, res);
      };
      const server = tls ? createHttpsServer(tls, route) : createHttpServer(route);
      server.on('upgrade', (req, socket, head) => runtime.websocket.upgrade(req, socket, head, clientAddress(req, config.trustProxy)));
      server.keepAliveTimeout = 65_000;
      server.requestTimeout = 60_000;
      server.headersTimeout = 30_000;
      server.maxConnections = config.maxConnections;
      return server as Server;
    },
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    requestTimeout: 60_000,
    connectionTimeout: 0,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    // Two info lines per request cost more than the request at push-relay rates; one line at
    // debug (warn for server errors) is written in onResponse instead.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { allowUnionTypes: true, removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  } as FastifyServerOptions);

  const { failures, registrations } = runtime;
  const auth = authHooks(services, runtime.presence, failures);

  installProblemHandlers(app);
  // JSON and (for web forms) urlencoded bodies only: anything else is a 415, not a string.
  app.removeContentTypeParser('text/plain');
  for (const s of sharedSchemas) app.addSchema(s);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await app.register(swagger, openapiOptions({ version: VERSION, publicUrl: config.publicUrl }));

  app.addHook('preValidation', refuseNul);
  app.addHook('onResponse', async (request, reply) => {
    const level = reply.statusCode >= 500 ? 'warn' : 'debug';
    request.log[level]({ req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    metrics.httpRequests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode });
  });

  app.get(
    '/healthz',
    { schema: { tags: ['relay'], operationId: 'getHealth', summary: 'Liveness and version', security: [], response: { 200: okJson('{ status: "ok", version }'), 400: { $ref: 'Problem#' } } } },
    async () => ({ status: 'ok', version: VERSION }));

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['relay'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics: the metrics token or a site-admin API token',
        security: [{ bearer: [] }],
        response: { 200: rawBody('Prometheus text exposition format', 'text/plain'), 401: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
    const secret = bearer(request);
    const allowed =
      secret !== null &&
      ((config.metricsToken !== undefined && sameText(secret, config.metricsToken)) ||
        (await services.auth.apiToken(secret).then((p) => p !== null && isAdmin(p))));
    // Wrong guesses count against the address like any other failed authentication.
    if (!allowed) return refuseAuth(failures, request, reply, 'metrics need the metrics token or a site-admin API token');
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      api.addHook('onRequest', auth.principal);
      await api.register(deviceRoutes, { services, presence: runtime.presence, status: runtime.status });
      await api.register(pushRoutes, { push: runtime.push });
      await api.register(bulkRoutes, { bulk: runtime.bulk });
      await api.register(alertRoutes, { alerts: runtime.alerts, reports: runtime.reports });
      await api.register(billingRoutes, { services });
      await api.register(codeRoutes, { services });
      await api.register(webhookRoutes, { webhooks: runtime.webhooks });
      await api.register(firmwareRoutes, { services });
      await api.register(printRoutes, { print: runtime.print, mail: runtime.mailPrint });
      await api.register(accountRoutes, { services });
      await api.register(faxRoutes, { users: services.faxUsers, board: runtime.fax });
    },
    { prefix: '/api/v1' },
  );

  await app.register(registrationRoutes, { prefix: DEVICE_HTTP, registration: services.registration, registrations, publicUrl: config.publicUrl });
  await app.register(selfRoutes, {
    prefix: DEVICE_HTTP,
    devices: services.devices,
    presence: runtime.presence,
    authenticateDevice: auth.device,
    recognizes: async (deviceId: string, sid: string) => (await runtime.bosh.ownerAnywhere(sid)) === deviceId,
  });
  await app.register(pushDeviceRoutes, { prefix: DEVICE_HTTP, push: runtime.push, authenticateDevice: auth.device });

  await app.register(reportRoutes, {
    reports: runtime.reports,
    firmware: services.firmware,
    auth: services.auth,
    presence: runtime.presence,
    failures,
    byRegistrationNumber: (n: string) => services.ctx.store.devices.byRegistrationNumber(n),
    authenticateDevice: auth.device,
  });

  await app.register(printDeviceRoutes, { print: runtime.print, authenticateDevice: auth.device });

  await app.register(printPageRoutes, { mail: runtime.mailPrint });

  await app.register(ippRoutes, { auth: services.auth, accounts: services.accounts, print: runtime.print, push: runtime.push, status: runtime.status, failures, clock: services.ctx.clock, startedAt: services.ctx.clock.now(), publicUrl: config.publicUrl });

  await app.register(webRoutes, { kit: consoleKit(services.auth), services, parts: runtime, failures });
  return app;
}
